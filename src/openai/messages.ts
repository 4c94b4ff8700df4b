import { AppException, FieldError } from '../core/errors/app.exception';
import type { ChatMessage, ChatRole } from '../models/provider.types';
import { textOfContent } from '../models/wire';

/** The text each role counts as, for usage counted here and for the echo model. */
const ROLES: Record<string, ChatRole> = {
  system: 'system',
  developer: 'system',
  user: 'user',
  assistant: 'assistant',
  // A tool's result is input to the model, as a user's message is.
  tool: 'user',
  function: 'user',
};

const MAX_CHARS = 1_000_000;

/** The caller's messages as the provider gets them, and their text, for counting. */
export interface OpenAiMessages {
  wire: unknown[];
  text: ChatMessage[];
}

/** Content is a string, null, or an array of parts (`{type, …}`), which go on as they are. */
function checkContent(content: unknown, field: string, errors: FieldError[]): void {
  if (content === null || content === undefined || typeof content === 'string') return;
  if (!Array.isArray(content)) {
    errors.push({ field, message: `${field} must be a string or an array of content parts` });
    return;
  }
  content.forEach((part: unknown, i) => {
    const p = part as { type?: unknown } | null;
    if (!p || typeof p !== 'object' || typeof p.type !== 'string') {
      errors.push({
        field: `${field}[${i}]`,
        message: `${field}[${i}] must be a content part with a type ({"type": "text", "text": "…"}, {"type": "image_url", …}, …)`,
      });
    }
  });
}

/**
 * OpenAI messages, passed to the provider as sent (content parts, assistant `tool_calls`, `tool`
 * messages: SPEC §10), or a 400 naming every field that no provider could read.
 */
export function toOpenAiMessages(messages: unknown[]): OpenAiMessages {
  const errors: FieldError[] = [];
  let chars = 0;
  const text = messages.map((raw, i): ChatMessage => {
    const field = `messages[${i}]`;
    const m = raw as { role?: unknown; content?: unknown } | null;
    if (!m || typeof m !== 'object' || Array.isArray(m)) {
      errors.push({ field, message: `${field} must be an object` });
      return { role: 'user', content: '' };
    }
    const role = typeof m.role === 'string' ? ROLES[m.role] : undefined;
    if (!role) {
      errors.push({
        field: `${field}.role`,
        message: `${field}.role must be one of system, developer, user, assistant, tool`,
      });
    }
    checkContent(m.content, `${field}.content`, errors);
    const content = textOfContent(m.content);
    chars += content.length;
    return { role: role ?? 'user', content };
  });
  if (chars > MAX_CHARS) {
    errors.push({
      field: 'messages',
      message: `messages may hold at most ${MAX_CHARS} characters`,
    });
  }
  if (errors.length > 0) throw AppException.validation(errors);
  return { wire: messages, text };
}
