import { encode } from 'gpt-tokenizer';

import type { ChatMessage } from './provider.types';

// Chat formats spend a few tokens per message on roles and separators.
const PER_MESSAGE_OVERHEAD = 3;

export function countTokens(text: string): number {
  return text.length === 0 ? 0 : encode(text).length;
}

export function countPromptTokens(messages: ChatMessage[]): number {
  return messages.reduce((sum, m) => sum + PER_MESSAGE_OVERHEAD + countTokens(m.content), 0);
}
