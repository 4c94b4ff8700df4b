import type { ChatMessage } from './provider.types';

type Tokenizer = typeof import('gpt-tokenizer');

// Chat formats spend a few tokens per message on roles and separators.
const PER_MESSAGE_OVERHEAD = 3;

let loaded: Tokenizer | undefined;

/**
 * gpt-tokenizer, loaded on first use: its tables take ~0.4 s and ~70 MiB, and only a provider that
 * sends no usage (or the echo model) needs them.
 */
export function tokenizer(): Tokenizer {
  // A synchronous load on first use: counting happens in synchronous code.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (loaded ??= require('gpt-tokenizer') as Tokenizer);
}

export function countTokens(text: string): number {
  return text.length === 0 ? 0 : tokenizer().encode(text).length;
}

export function countPromptTokens(messages: ChatMessage[]): number {
  let sum = 0;
  for (const m of messages) sum += PER_MESSAGE_OVERHEAD + countTokens(m.content);
  return sum;
}
