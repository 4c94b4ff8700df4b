import { countTokens, encodeText, firstTokens, tokenizer } from './tokenizer';

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
});
