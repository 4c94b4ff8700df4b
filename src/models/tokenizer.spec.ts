import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { encode as libraryEncode } from 'gpt-tokenizer';

import { countTokens, encodeText, firstTokens, tokenizer } from './tokenizer';

const ORDINARY = { disallowedSpecial: new Set<string>() };
/** gpt-tokenizer's own encoder, the reference: special tokens' names read as text. */
const reference = (text: string) => libraryEncode(text, ORDINARY);

describe('tokenizer', () => {
  it('counts the names of special tokens as ordinary text', () => {
    const text = 'hi <|endoftext|> there <|im_start|>';
    expect(() => libraryEncode(text)).toThrow(/special token/);
    expect(encodeText(text)).toEqual(reference(text));
    expect(countTokens(text)).toBe(encodeText(text).length);
    expect(tokenizer().decode(encodeText(text))).toBe(text);
    expect(countTokens(text)).toBeGreaterThan(countTokens('hi  there '));
  });

  it('cuts a text at a token limit on a whole character', () => {
    expect(firstTokens('one two three', undefined)).toBeUndefined();
    expect(firstTokens('one two three', 3)).toBeUndefined();
    expect(firstTokens('one two three', 2)).toBe('one two');
    expect(firstTokens('one <|endoftext|>', 1)).toBe('one');
    for (let limit = 1; limit < 12; limit++) {
      const cut = firstTokens('龘𝕏𝕐ꙮ 你好', limit) ?? '龘𝕏𝕐ꙮ 你好';
      expect(cut).not.toMatch(/\uFFFD/);
      expect(countTokens(cut)).toBeLessThanOrEqual(limit);
      expect('龘𝕏𝕐ꙮ 你好'.startsWith(cut)).toBe(true);
    }
  });

  it("gives text exactly the library's ids", () => {
    const texts = [
      readFileSync(join(__dirname, '../../README.md'), 'utf8'),
      'Grüße aus Zürich! 你好，世界。 こんにちは 🙂 — ok?\n\n  indented\tand tabbed',
    ];
    for (const text of texts) {
      expect(encodeText(text)).toEqual(reference(text));
    }
  });

  it('encodes a long run without spaces a slice at a time: the same text, about the same count', () => {
    const run = 'ab'.repeat(1000);
    const sliced = encodeText(`start ${run} end`);
    expect(tokenizer().decode(sliced)).toBe(`start ${run} end`);
    const whole = reference(`start ${run} end`).length;
    // 2,000 characters are cut seven times, each cut costing at most a token.
    expect(Math.abs(sliced.length - whole)).toBeLessThanOrEqual(8);

    // Characters outside the BMP are never cut in half.
    const wide = '𝕏'.repeat(700);
    expect(tokenizer().decode(encodeText(wide))).toBe(wide);
  });

  it('encodes whitespace runs a slice at a time too', () => {
    const text = `a${' '.repeat(3000)}b\n${'\n'.repeat(1000)}c`;
    const ids = encodeText(text);
    expect(tokenizer().decode(ids)).toBe(text);
    expect(Math.abs(ids.length - reference(text).length)).toBeLessThanOrEqual(16);
  });

  it("gives the library's ids for text of every script, mark, digit and space", () => {
    // A seeded mix of what the pre-tokenizer tells apart: cases, contractions, marks, numbers,
    // punctuation runs, line ends, and characters outside the BMP.
    const alphabet = [
      ...'abcXYZ019 ,.;:!?/\\\'"()[]{}<>-_=+*&^%$#@~`|\t\r\n',
      "'s",
      "'LL",
      "'ve",
      "'D",
      ' ',
      '  ',
      '\r\n',
      '\u00a0',
      '\u2028',
      ...'äÉßøñçÅ',
      ...'αβΓΔωЖжЯя',
      ...'你好世界丝绸之路',
      ...'こんにちはカタカナ',
      ...'한국어',
      ...'مرحبا',
      ...'नमस्ते',
      '\u0301',
      '\u0308',
      '\u200d',
      ...'٣٤٥',
      ...'ⅠⅡ½',
      '🙂',
      '👍🏽',
      '👩\u200d💻',
      '🐫',
      '𝕏',
      '😀',
      '\u{1F1E9}\u{1F1EA}',
      '<|endoftext|>',
    ];
    let seed = 7;
    const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    for (let i = 0; i < 400; i++) {
      let text = '';
      const length = 1 + Math.floor(next() * 60);
      for (let j = 0; j < length; j++) text += alphabet[Math.floor(next() * alphabet.length)];
      expect(tokenizer().encode(text)).toEqual(reference(text));
      expect(tokenizer().decode(tokenizer().encode(text))).toBe(text);
    }
  });

  it('decodes a token that holds part of a character to U+FFFD, and refuses an unknown id', () => {
    const ids = tokenizer().encode('🐫');
    expect(tokenizer().decode(ids)).toBe('🐫');
    if (ids.length > 1) expect(tokenizer().decode(ids.slice(0, 1))).toMatch(/\uFFFD/);
    expect(() => tokenizer().decode([-1])).toThrow(/not in the byte pair encoder/);
    expect(() => tokenizer().decode([10_000_000])).toThrow(/not in the byte pair encoder/);
  });
});
