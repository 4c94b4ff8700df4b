import { echoAnswer, echoLogprobs, reply } from './echo-agent';
import type { ChatRequest } from './provider.types';
import { countTokens } from './tokenizer';

const TOOLS = [
  { type: 'function', function: { name: 'first', parameters: {} } },
  { type: 'function', function: { name: 'second', parameters: {} } },
];

const request = (messages: unknown[], options: Record<string, unknown> = {}): ChatRequest => ({
  model: 'echo',
  messages: [],
  options,
  signal: new AbortController().signal,
  shutdown: new AbortController().signal,
  wire: { messages, includeUsage: false },
});

const user = { role: 'user', content: 'hello' };

describe('echoAnswer', () => {
  it('calls the first tool with {} after a user message', () => {
    const answer = echoAnswer(request([user], { tools: TOOLS }), 'hello');
    expect(answer).toEqual({
      content: null,
      toolCall: {
        id: expect.stringMatching(/^call_[0-9a-f]{24}$/),
        type: 'function',
        function: { name: 'first', arguments: '{}' },
      },
      finishReason: 'tool_calls',
    });
  });

  it('calls the tool tool_choice names, and none with tool_choice "none"', () => {
    const named = { type: 'function', function: { name: 'second' } };
    expect(
      echoAnswer(request([user], { tools: TOOLS, tool_choice: named }), 'hello').toolCall?.function
        .name,
    ).toBe('second');
    expect(echoAnswer(request([user], { tools: TOOLS, tool_choice: 'none' }), 'hello')).toEqual({
      content: 'hello',
      finishReason: 'stop',
    });
  });

  it('answers a last tool message with its content, text parts joined', () => {
    const tool = {
      role: 'tool',
      tool_call_id: 'call_1',
      content: [
        { type: 'text', text: 'sunny, ' },
        { type: 'text', text: '21 °C' },
      ],
    };
    expect(echoAnswer(request([user, tool], { tools: TOOLS }), 'hello')).toEqual({
      content: 'sunny, 21 °C',
      finishReason: 'stop',
    });
  });

  it.each(['json_object', 'json_schema'])('answers %s with {"echo": …}', (type) => {
    const answer = echoAnswer(request([user], { response_format: { type } }), 'hello');
    expect(JSON.parse(answer.content!)).toEqual({ echo: 'hello' });
  });
});

describe('echoLogprobs', () => {
  it('gives every token of the reply logprob 0, itself its only top candidate', () => {
    const { content } = echoLogprobs('Hello world', 1);
    expect(content.map((t) => t.token).join('')).toBe('Hello world');
    for (const t of content) {
      expect(t.logprob).toBe(0);
      expect(Buffer.from(t.bytes).toString()).toBe(t.token);
      expect(t.top_logprobs).toEqual([{ token: t.token, logprob: 0, bytes: t.bytes }]);
    }
  });

  it("gives each token's own bytes, also where a character spans two tokens", () => {
    const text = '丝绸之路🐫 ok';
    const { content } = echoLogprobs(text, 0);
    expect(content.map((t) => t.token).join('')).toBe(text);
    expect(Buffer.from(content.flatMap((t) => t.bytes)).toString()).toBe(text);
    expect(content.every((t) => t.bytes.length > 0)).toBe(true);
  });
});

describe('reply', () => {
  const limited = (maxTokens?: number): ChatRequest => ({ ...request([user]), maxTokens });

  it('keeps a text within the limit whole, with stop', () => {
    expect(reply(limited(), 'one two three')).toEqual({
      content: 'one two three',
      finishReason: 'stop',
    });
    expect(reply(limited(3), 'one two three')).toEqual({
      content: 'one two three',
      finishReason: 'stop',
    });
  });

  it('cuts a longer text at the limit, with length', () => {
    expect(reply(limited(2), 'one two three')).toEqual({
      content: 'one two',
      finishReason: 'length',
    });
    expect(countTokens(reply(limited(5), 'word '.repeat(50)).content)).toBe(5);
  });

  it('cuts on a whole character, never inside one', () => {
    // 龘 is two tokens and 龘𝕏 five: four tokens hold only 龘.
    expect(reply(limited(4), '龘𝕏𝕐ꙮ')).toEqual({ content: '龘', finishReason: 'length' });
    expect(reply(limited(1), '龘𝕏')).toEqual({ content: '', finishReason: 'length' });
  });
});
