/** Reading OpenAI Chat Completions objects of a wire call (SPEC §10) without trusting their shape. */

interface WireToolCall {
  function?: { name?: unknown; arguments?: unknown };
}

interface WireMessage {
  content?: unknown;
  refusal?: unknown;
  tool_calls?: unknown;
}

/** A content field's text: the string, or its text parts joined; images and other parts add none. */
export function textOfContent(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  let text = '';
  for (const part of content as { type?: unknown; text?: unknown }[]) {
    if (part && part.type === 'text' && typeof part.text === 'string') text += part.text;
  }
  return text;
}

/** What a message or a delta says, for counting: its text, refusal, and tool calls' names and arguments. */
export function textOfMessage(message: unknown): string {
  if (!message || typeof message !== 'object') return '';
  const m = message as WireMessage;
  let text = textOfContent(m.content);
  if (typeof m.refusal === 'string') text += m.refusal;
  if (Array.isArray(m.tool_calls)) {
    for (const call of m.tool_calls as WireToolCall[]) {
      const fn = call?.function;
      if (typeof fn?.name === 'string') text += fn.name;
      if (typeof fn?.arguments === 'string') text += fn.arguments;
    }
  }
  return text;
}

/** The text of every choice of a `chat.completion` (`message`) or of a chunk (`delta`). */
export function textOfChoices(choices: unknown, field: 'message' | 'delta'): string {
  if (!Array.isArray(choices)) return '';
  let text = '';
  for (const choice of choices as Record<string, unknown>[]) text += textOfMessage(choice?.[field]);
  return text;
}

/** The first choice's finish reason, when the provider gave one. */
export function finishOf(choices: unknown): string | undefined {
  if (!Array.isArray(choices)) return undefined;
  for (const choice of choices as { finish_reason?: unknown }[]) {
    if (typeof choice?.finish_reason === 'string') return choice.finish_reason;
  }
  return undefined;
}
