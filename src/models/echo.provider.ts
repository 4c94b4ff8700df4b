import { randomUUID } from 'node:crypto';

import { EchoAnswer, echoAnswer, echoLogprobs, reply } from './echo-agent';
import {
  ChatCompletion,
  ChatRequest,
  ChatStream,
  chatStream,
  isCut,
  ModelProvider,
  StreamState,
} from './provider.types';
import { countPromptTokens, countTokens } from './tokenizer';

export const ECHO_MODEL = 'echo';

/**
 * Words keep their trailing whitespace, so the chunks join back to the exact message; scripts written
 * without spaces (Chinese, Japanese, Korean) go one character at a time, like a real model's tokens.
 */
const CJK = '\\p{Script=Han}\\p{Script=Hiragana}\\p{Script=Katakana}\\p{Script=Hangul}';
const WORDS = new RegExp(`[${CJK}]\\s*|[^\\s${CJK}]+\\s*|\\s+`, 'gu');

function lastUserMessage(req: ChatRequest): string {
  for (let i = req.messages.length - 1; i >= 0; i--) {
    if (req.messages[i].role === 'user') return req.messages[i].content;
  }
  return '';
}

/** Offline model: replies with the user's message (up to `max_tokens`), streamed word by word. */
export class EchoProvider implements ModelProvider {
  readonly name = 'echo';

  async complete(req: ChatRequest): Promise<ChatCompletion> {
    if (req.wire) return this.completeWire(req);
    const { content, finishReason } = reply(req, lastUserMessage(req));
    return {
      content,
      finishReason,
      usage: { input: countPromptTokens(req.messages), output: countTokens(content) },
    };
  }

  async stream(req: ChatRequest): Promise<ChatStream> {
    if (req.wire) return this.streamWire(req);
    const { content, finishReason } = reply(req, lastUserMessage(req));
    const words = content.match(WORDS) ?? [];
    const state: StreamState = { usage: undefined, complete: false };
    async function* chunks(): AsyncGenerator<string> {
      for (const word of words) {
        if (isCut(req)) return;
        yield word;
      }
      state.usage = { input: countPromptTokens(req.messages), output: countTokens(content) };
      state.finishReason = finishReason;
      state.complete = true;
    }
    return chatStream(chunks(), state);
  }

  /** An OpenAI call: `n` choices of echo's answer, with logprobs when asked, as OpenAI shapes them. */
  private completeWire(req: ChatRequest): ChatCompletion {
    const answer = echoAnswer(req, lastUserMessage(req));
    const text = answer.content ?? answer.toolCall!.function.name + '{}';
    const n = choiceCount(req);
    const logprobs = logprobsOf(req, answer.content);
    const usage = { input: countPromptTokens(req.messages), output: countTokens(text) * n };
    const choices = Array.from({ length: n }, (_, index) => {
      const call = index === 0 ? answer.toolCall : freshCall(answer.toolCall);
      return {
        index,
        message: {
          role: 'assistant',
          content: answer.content,
          refusal: null,
          ...(call ? { tool_calls: [call] } : {}),
        },
        logprobs,
        finish_reason: answer.finishReason,
      };
    });
    return {
      content: answer.content ?? '',
      finishReason: answer.finishReason,
      usage,
      body: {
        id: completionId(),
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: req.model,
        choices,
        usage: toWireUsage(usage),
        system_fingerprint: null,
      },
    };
  }

  /** OpenAI's chunks: a role chunk, then the words (or the tool call's name, then its arguments), then the finish. */
  private streamWire(req: ChatRequest): ChatStream {
    const answer = echoAnswer(req, lastUserMessage(req));
    const n = choiceCount(req);
    const wantLogprobs = req.options?.logprobs === true;
    const top = Number(req.options?.top_logprobs ?? 0);
    const state: StreamState = { usage: undefined, complete: false, text: '' };
    const base = {
      id: completionId(),
      object: 'chat.completion.chunk',
      created: Math.floor(Date.now() / 1000),
      model: req.model,
      system_fingerprint: null,
    };
    const frame = (
      index: number,
      delta: object,
      finish: string | null = null,
      logprobs: unknown = null,
    ) =>
      `data: ${JSON.stringify(Object.assign({}, base, { choices: [{ index, delta, logprobs, finish_reason: finish }] }))}\n\n`;
    async function* frames(): AsyncGenerator<string> {
      for (let index = 0; index < n; index++) {
        const call = index === 0 ? answer.toolCall : freshCall(answer.toolCall);
        if (call) {
          yield frame(index, {
            role: 'assistant',
            content: null,
            tool_calls: [
              {
                index: 0,
                id: call.id,
                type: 'function',
                function: { name: call.function.name, arguments: '' },
              },
            ],
            refusal: null,
          });
          yield frame(index, {
            tool_calls: [{ index: 0, function: { arguments: call.function.arguments } }],
          });
          state.text += call.function.name + call.function.arguments;
        } else {
          yield frame(index, { role: 'assistant', content: '', refusal: null });
          for (const word of answer.content!.match(WORDS) ?? []) {
            if (isCut(req)) return;
            state.text += word;
            yield frame(
              index,
              { content: word },
              null,
              wantLogprobs ? echoLogprobs(word, top) : null,
            );
          }
        }
        if (isCut(req)) return;
        yield frame(index, {}, answer.finishReason);
      }
      const usage = { input: countPromptTokens(req.messages), output: countTokens(state.text!) };
      state.usage = usage;
      state.finishReason = answer.finishReason;
      state.complete = true;
      if (req.wire!.includeUsage)
        yield `data: ${JSON.stringify(Object.assign({}, base, { choices: [], usage: toWireUsage(usage) }))}\n\n`;
    }
    return chatStream(frames(), state);
  }
}

function choiceCount(req: ChatRequest): number {
  const n = Number(req.options?.n ?? 1);
  return Number.isInteger(n) && n > 1 ? n : 1;
}

function logprobsOf(req: ChatRequest, content: string | null) {
  if (req.options?.logprobs !== true || content === null) return null;
  return echoLogprobs(content, Number(req.options?.top_logprobs ?? 0));
}

/** Each choice's tool call has its own id, as OpenAI's do. */
function freshCall(call: EchoAnswer['toolCall']): EchoAnswer['toolCall'] {
  return (
    call && Object.assign({}, call, { id: `call_${randomUUID().replace(/-/g, '').slice(0, 24)}` })
  );
}

function toWireUsage(usage: { input: number; output: number }) {
  return {
    prompt_tokens: usage.input,
    completion_tokens: usage.output,
    total_tokens: usage.input + usage.output,
  };
}

function completionId(): string {
  return `chatcmpl-${randomUUID().replace(/-/g, '')}`;
}
