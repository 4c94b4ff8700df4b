import {
  ChatCompletion,
  ChatRequest,
  ChatStream,
  chatStream,
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

/** Offline model: replies with the user's message, streamed word by word. */
export class EchoProvider implements ModelProvider {
  readonly name = 'echo';

  async complete(req: ChatRequest): Promise<ChatCompletion> {
    const content = lastUserMessage(req);
    return {
      content,
      usage: { input: countPromptTokens(req.messages), output: countTokens(content) },
    };
  }

  async stream(req: ChatRequest): Promise<ChatStream> {
    const content = lastUserMessage(req);
    const words = content.match(WORDS) ?? [];
    const state: StreamState = { usage: undefined, complete: false };
    async function* chunks(): AsyncGenerator<string> {
      for (const word of words) {
        if (req.signal.aborted) return;
        yield word;
      }
      state.usage = { input: countPromptTokens(req.messages), output: countTokens(content) };
      state.complete = true;
    }
    return chatStream(chunks(), state);
  }
}
