import { hasLoneSurrogate, storableText } from './unicode';

describe('unicode', () => {
  it('finds half of a surrogate pair, never a whole one', () => {
    expect(hasLoneSurrogate('a\ud800b')).toBe(true);
    expect(hasLoneSurrogate('\udfff')).toBe(true);
    expect(hasLoneSurrogate('🏳️‍🌈 𝕏 plain')).toBe(false);
  });

  it('drops NULs and makes half pairs U+FFFD, leaving other text as it is', () => {
    expect(storableText('a\u0000b\u0000')).toBe('ab');
    expect(storableText('half \ud800 pair 🙂')).toBe('half \ufffd pair 🙂');
    const plain = 'nothing to change 你好';
    expect(storableText(plain)).toBe(plain);
  });
});
