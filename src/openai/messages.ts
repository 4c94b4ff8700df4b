import { AppException, FieldError } from '../core/errors/app.exception';
import type { ChatMessage, ChatRole } from '../models/provider.types';

const ROLES: Record<string, ChatRole> = {
  system: 'system',
  // Newer OpenAI models call the system prompt "developer"; every provider knows "system".
  developer: 'system',
  user: 'user',
  assistant: 'assistant',
};

const MAX_CHARS = 1_000_000;

/** Text of a content field: a string, or text parts joined; other parts are refused. */
function textOf(content: unknown, field: string, errors: FieldError[]): string {
  if (typeof content === 'string') return content;
  if (content === null || content === undefined) return '';
  if (!Array.isArray(content)) {
    errors.push({ field, message: `${field} must be a string or an array of content parts` });
    return '';
  }
  let text = '';
  content.forEach((part: unknown, i) => {
    const p = part as { type?: unknown; text?: unknown } | null;
    if (p && typeof p === 'object' && p.type === 'text' && typeof p.text === 'string') {
      text += p.text;
    } else {
      errors.push({
        field: `${field}[${i}]`,
        message: `${field}[${i}] must be a text part ({"type": "text", "text": "…"}): images, audio and files are not supported`,
      });
    }
  });
  return text;
}

/** OpenAI messages as the providers take them, or a 400 naming every bad field. */
export function toChatMessages(messages: unknown[]): ChatMessage[] {
  const errors: FieldError[] = [];
  let chars = 0;
  const out = messages.map((raw, i): ChatMessage => {
    const field = `messages[${i}]`;
    const m = raw as { role?: unknown; content?: unknown; tool_calls?: unknown } | null;
    if (!m || typeof m !== 'object' || Array.isArray(m)) {
      errors.push({ field, message: `${field} must be an object` });
      return { role: 'user', content: '' };
    }
    const role = typeof m.role === 'string' ? ROLES[m.role] : undefined;
    if (!role) {
      errors.push({
        field: `${field}.role`,
        message: `${field}.role must be one of system, developer, user, assistant (tool calling is not supported)`,
      });
    }
    if (Array.isArray(m.tool_calls) && m.tool_calls.length > 0) {
      errors.push({ field: `${field}.tool_calls`, message: 'tool calling is not supported' });
    }
    const content = textOf(m.content, `${field}.content`, errors);
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
  return out;
}
