// With the u flag a surrogate pair is one code point: only a lone half matches.
const LONE_SURROGATE = /\p{Cs}/u;
const LONE_SURROGATES = /\p{Cs}/gu;

/** Half of a surrogate pair: JSON can escape one, but UTF-8 cannot hold it. */
export function hasLoneSurrogate(text: string): boolean {
  return LONE_SURROGATE.test(text);
}

/**
 * Text as a database can hold it: without NUL characters (PostgreSQL refuses them) and with half
 * a surrogate pair as U+FFFD (what UTF-8 makes of it anyway).
 */
export function storableText(text: string): string {
  const clean = text.includes('\u0000') ? text.replaceAll('\u0000', '') : text;
  return hasLoneSurrogate(clean) ? clean.replace(LONE_SURROGATES, '\uFFFD') : clean;
}
