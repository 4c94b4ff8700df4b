import { BytePairEncoder } from './byte-pair-encoder';
import type { ChatMessage } from './provider.types';

// Chat formats spend a few tokens per message on roles and separators.
const PER_MESSAGE_OVERHEAD = 3;

let loaded: BytePairEncoder | undefined;

/**
 * o200k_base, loaded on first use (~0.1 s, ~4 MB): only a provider that sends no usage, a call its
 * client leaves, or the echo model needs it. The ranks are gpt-tokenizer's copy of tiktoken's file;
 * its own encoder is the unit tests' reference. Special tokens' names (`<|endoftext|>`, …) in a
 * caller's text are text: counted as a provider reads them, never an error.
 */
export function tokenizer(): BytePairEncoder {
  // A synchronous load on first use: counting happens in synchronous code.
  return (loaded ??= BytePairEncoder.fromTiktokenFile(
    require.resolve('gpt-tokenizer/data/o200k_base.tiktoken'),
  ));
}

/**
 * Byte-pair encoding merges each piece of a text (a run of letters, say) in time quadratic in the
 * piece's length: 40,000 letters in a row held the event loop for 2 s, 16,000 spaces for 0.5 s,
 * and a 1 MB message of either would for many minutes. A run of non-space characters, or of
 * whitespace, longer than SLICE is therefore encoded SLICE characters at a time. Text has no such
 * runs, so its ids are exactly the library's; a long run's count may differ from a whole encoding
 * by a token at each cut.
 */
const SLICE = 256;
const LONG_RUN = /\S{257,}|\s{257,}/g;

/** The token ids of `text`, read as ordinary text. */
export function encodeText(text: string): number[] {
  const encoder = tokenizer();
  if (text.length <= SLICE) return encoder.encode(text);
  let ids: number[] | undefined;
  let at = 0;
  for (const run of text.matchAll(LONG_RUN)) {
    ids ??= [];
    const end = run.index + run[0].length;
    if (run.index > at) appendTo(ids, encoder.encode(text.slice(at, run.index)));
    for (let from = run.index; from < end;) {
      let to = Math.min(from + SLICE, end);
      // A cut between the halves of a surrogate pair would split a character.
      if (to < end && isHighSurrogate(text.charCodeAt(to - 1))) to--;
      appendTo(ids, encoder.encode(text.slice(from, to)));
      from = to;
    }
    at = end;
  }
  if (!ids) return encoder.encode(text);
  if (at < text.length) appendTo(ids, encoder.encode(text.slice(at)));
  return ids;
}

function appendTo(ids: number[], more: number[]): void {
  for (const id of more) ids.push(id);
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

export function countTokens(text: string): number {
  return text.length === 0 ? 0 : encodeText(text).length;
}

export function countPromptTokens(messages: ChatMessage[]): number {
  let sum = 0;
  for (const m of messages) sum += PER_MESSAGE_OVERHEAD + countTokens(m.content);
  return sum;
}

/**
 * The longest start of `text` that fits in `limit` tokens, or undefined when all of it fits. It ends
 * on a whole character: decoding a cut list of token ids can leave half of one.
 */
export function firstTokens(text: string, limit: number | undefined): string | undefined {
  // A byte-level tokenizer never makes more tokens than the text has bytes.
  if (limit === undefined || Buffer.byteLength(text) <= limit) return undefined;
  if (countTokens(text) <= limit) return undefined;
  const chars = Array.from(text);
  let fits = 0;
  let over = chars.length;
  while (over - fits > 1) {
    const mid = (fits + over) >>> 1;
    if (countTokens(chars.slice(0, mid).join('')) <= limit) fits = mid;
    else over = mid;
  }
  return chars.slice(0, fits).join('');
}
