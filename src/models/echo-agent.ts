import { randomUUID } from 'node:crypto';

import type { ChatRequest } from './provider.types';
import { encodeText, firstTokens, tokenizer } from './tokenizer';
import { textOfContent } from './wire';

/** One of echo's answers to a wire call: text, or a call of one tool. */
export interface EchoAnswer {
  content: string | null;
  toolCall?: { id: string; type: 'function'; function: { name: string; arguments: string } };
  finishReason: 'stop' | 'length' | 'tool_calls';
}

interface WireMessage {
  role?: unknown;
  content?: unknown;
}

interface WireTool {
  type?: unknown;
  function?: { name?: unknown };
}

/** The function a call of `tools` with `tool_choice` may name, if echo should call one. */
function toolToCall(options: Record<string, unknown>): string | undefined {
  const tools = Array.isArray(options.tools) ? (options.tools as WireTool[]) : [];
  const choice = options.tool_choice as
    string | { function?: { name?: unknown } } | undefined | null;
  if (tools.length === 0 || choice === 'none') return undefined;
  if (choice && typeof choice === 'object' && typeof choice.function?.name === 'string')
    return choice.function.name;
  const name = tools[0]?.function?.name;
  return typeof name === 'string' ? name : undefined;
}

/**
 * What the offline `echo` model answers an agent (SPEC §10): after a user message and with `tools`,
 * a call of the first tool (or the one `tool_choice` names) with `{}`; after a `tool` message, that
 * message's content; in JSON modes `{"echo": "<message>"}`; else the user's message. A text answer
 * stops at the call's `max_tokens` with `length`.
 */
export function echoAnswer(req: ChatRequest, lastUserText: string): EchoAnswer {
  const messages = req.wire!.messages as WireMessage[];
  const last = messages[messages.length - 1];
  const options = req.options ?? {};
  if (last?.role === 'tool') return reply(req, textOfContent(last.content));
  const tool = last?.role === 'user' ? toolToCall(options) : undefined;
  if (tool) {
    const id = `call_${randomUUID().replace(/-/g, '').slice(0, 24)}`;
    return {
      content: null,
      toolCall: { id, type: 'function', function: { name: tool, arguments: '{}' } },
      finishReason: 'tool_calls',
    };
  }
  const format = (options.response_format as { type?: unknown } | undefined)?.type;
  if (format === 'json_object' || format === 'json_schema')
    return reply(req, JSON.stringify({ echo: lastUserText }));
  return reply(req, lastUserText);
}

/** A text answer, cut at the call's token limit as a real model stops there (`length`). */
export function reply(req: ChatRequest, text: string): EchoAnswer & { content: string } {
  const cut = firstTokens(text, req.maxTokens);
  return cut === undefined
    ? { content: text, finishReason: 'stop' }
    : { content: cut, finishReason: 'length' };
}

/**
 * OpenAI's `logprobs` of a reply echo is certain of: every token with probability 1 (logprob 0),
 * and no other candidate among the `top_logprobs`.
 */
export function echoLogprobs(text: string, top: number) {
  const encoder = tokenizer();
  // A character split across tokens comes out whole with the token that ends it, so the tokens
  // join to the reply; `bytes` are each token's own, as OpenAI gives them, so they join to its UTF-8.
  const decoder = new TextDecoder();
  return {
    content: encodeText(text).map((id) => {
      const own = encoder.tokenBytes(id);
      const token = decoder.decode(own, { stream: true });
      const bytes = Array.from(own);
      return {
        token,
        logprob: 0,
        bytes,
        top_logprobs: top > 0 ? [{ token, logprob: 0, bytes }] : [],
      };
    }),
    refusal: null,
  };
}
