import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { countTokens, encodeText, firstTokens, tokenizer } from './tokenizer';

const ORDINARY = { disallowedSpecial: new Set<string>() };

describe('tokenizer', () => {
  it('counts the names of special tokens as ordinary text', () => {
    const text = 'hi <|endoftext|> there <|im_start|>';
    expect(() => tokenizer().encode(text)).toThrow(/special token/);
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
      expect(encodeText(text)).toEqual(tokenizer().encode(text, ORDINARY));
    }
  });

  it('encodes a long run without spaces a slice at a time: the same text, about the same count', () => {
    const run = 'ab'.repeat(1000);
    const sliced = encodeText(`start ${run} end`);
    expect(tokenizer().decode(sliced)).toBe(`start ${run} end`);
    const whole = tokenizer().encode(`start ${run} end`, ORDINARY).length;
    // 2,000 characters are cut seven times, each cut costing at most a token.
    expect(Math.abs(sliced.length - whole)).toBeLessThanOrEqual(8);

    // Characters outside the BMP are never cut in half.
    const wide = '𝕏'.repeat(700);
    expect(tokenizer().decode(encodeText(wide))).toBe(wide);
  });
});
