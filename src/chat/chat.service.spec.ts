import { sessionName } from './chat.service';

/** The rule as SPEC §6 states it, on the whole message. */
const byTheRule = (message: string) =>
  Array.from(message.replace(/\s+/g, ' ').trim()).slice(0, 50).join('') || 'New session';

describe('sessionName', () => {
  it.each([
    ['Hi there', 'Hi there'],
    ['  Hi \n\t there  ', 'Hi there'],
    ['', 'New session'],
    [' \n\t ', 'New session'],
    ['a'.repeat(49) + '  b', 'a'.repeat(49) + ' '],
    ['a'.repeat(50) + ' b', 'a'.repeat(50)],
    ['😀'.repeat(60), '😀'.repeat(50)],
    ['会话 '.repeat(30), byTheRule('会话 '.repeat(30))],
  ])('names %j %j', (message, name) => {
    expect(sessionName(message)).toBe(name);
    expect(sessionName(message)).toBe(byTheRule(message));
  });

  it('agrees with the rule on random messages', () => {
    const pieces = ['a', 'Z', ' ', '\n', '\t', '\u00a0', '\u2003', '😀', '会', 'é', '\r\n'];
    for (let i = 0; i < 2000; i++) {
      let message = '';
      const length = Math.floor(Math.random() * 120);
      for (let j = 0; j < length; j++) message += pieces[Math.floor(Math.random() * pieces.length)];
      expect(sessionName(message)).toBe(byTheRule(message));
    }
  });
});
