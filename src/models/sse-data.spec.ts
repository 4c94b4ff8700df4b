import { SseDataSplitter } from './sse-data';

function split(...pieces: string[]): string[] {
  const splitter = new SseDataSplitter();
  const out: string[] = [];
  for (const piece of pieces) splitter.feed(piece, out);
  return out;
}

describe(SseDataSplitter.name, () => {
  it('gives the data of each event, an event ending at its blank line', () => {
    expect(split('data: {"a":1}\n\ndata: [DONE]\n\n')).toEqual(['{"a":1}', '[DONE]']);
    expect(split('data: {"a":1}\n')).toEqual([]);
  });

  it('joins an event split across reads at any byte', () => {
    const text = 'data: {"a":1}\n\ndata: {"b":2}\n\n';
    for (let i = 1; i < text.length; i++) {
      expect(split(text.slice(0, i), text.slice(i))).toEqual(['{"a":1}', '{"b":2}']);
    }
  });

  it('reads CRLF and CR line breaks, also when a CRLF is split between reads', () => {
    expect(split('data: x\r\n\r\ndata: y\r\rdata: z\n\n')).toEqual(['x', 'y', 'z']);
    expect(split('data: a\r', '\ndata: b\r', '\n\r', '\n')).toEqual(['a\nb']);
  });

  it('joins several data lines with a newline and keeps a value without the space', () => {
    expect(split('data: one\ndata:two\ndata\n\n')).toEqual(['one\ntwo\n']);
  });

  it('skips comments, other fields and blank lines without data', () => {
    expect(
      split(': keep-alive\n\nevent: message\nid: 7\nretry: 10\ndatum: no\ndata: yes\n\n\n'),
    ).toEqual(['yes']);
  });
});
