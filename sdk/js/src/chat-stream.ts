import type { OpenResponse } from './core.js';
import { OpenClawError } from './errors.js';
import { SseParser } from './sse.js';
import type { ChatChunk, ChatUsage } from './types.js';

/**
 * A streamed reply: iterate it with `for await` to get its `{text}` chunks. The request is sent
 * when the iteration starts; leaving the loop early (`break`, `return`, an exception) aborts it.
 * Errors before the reply starts (a 404 SESSION_NOT_FOUND, …) and `event: error` during it are
 * thrown as OpenClawError, and so is a stream that ends before the server's `[DONE]`.
 */
export class ChatStream implements AsyncIterable<ChatChunk> {
  /** `{session_id, message_id, tokens}`: set once the reply is complete and stored. */
  usage: ChatUsage | undefined;
  /** The session of this turn (the `X-Session-Id` header): set once the stream opens. */
  sessionId: string | undefined;
  /** The answer's `X-Request-Id`: set once the stream opens. */
  requestId: string | undefined;
  private iterated = false;
  private readonly controller = new AbortController();

  /** @internal */
  constructor(
    private readonly open: (signal: AbortSignal) => Promise<OpenResponse>,
    private readonly signal?: AbortSignal,
  ) {}

  /** Stops the stream: the loop reading it throws OpenClawError `ABORTED`. */
  abort(): void {
    this.controller.abort();
  }

  [Symbol.asyncIterator](): AsyncIterator<ChatChunk> {
    if (this.iterated) throw new Error('A ChatStream can be iterated only once');
    this.iterated = true;
    return this.read();
  }

  /** Reads the whole stream and returns the reply's text. */
  async text(): Promise<string> {
    let text = '';
    for await (const chunk of this) text += chunk.text;
    return text;
  }

  private async *read(): AsyncGenerator<ChatChunk, void, undefined> {
    const abort = () => this.controller.abort();
    if (this.signal?.aborted) abort();
    this.signal?.addEventListener('abort', abort, { once: true });
    try {
      yield* this.events();
    } finally {
      this.signal?.removeEventListener('abort', abort);
    }
  }

  private async *events(): AsyncGenerator<ChatChunk, void, undefined> {
    const { response, attempt } = await this.open(this.controller.signal);
    this.sessionId = response.headers.get('x-session-id') ?? undefined;
    this.requestId = response.headers.get('x-request-id') ?? undefined;
    let finished = false;
    if (!response.body) {
      attempt.finish();
      throw new OpenClawError({
        code: 'INVALID_RESPONSE',
        message: 'The stream has no body',
        status: response.status,
        requestId: this.requestId,
      });
    }
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    const parser = new SseParser();
    try {
      for (;;) {
        let read: Awaited<ReturnType<typeof reader.read>>;
        try {
          read = await reader.read();
        } catch (err) {
          throw attempt.error(err, this.requestId);
        }
        if (read.done) break;
        attempt.arm();
        for (const event of parser.push(decoder.decode(read.value, { stream: true }))) {
          if (event.event === 'error') {
            throw OpenClawError.fromStreamEvent(parse(event.data), this.requestId);
          }
          if (event.event === 'usage') {
            this.usage = parse(event.data) as ChatUsage;
          } else if (event.event === 'message') {
            if (event.data === '[DONE]') {
              finished = true;
              return;
            }
            const chunk = parse(event.data) as Partial<ChatChunk> | undefined;
            if (typeof chunk?.text === 'string') yield { text: chunk.text };
          }
        }
      }
      throw new OpenClawError({
        code: 'CONNECTION_ERROR',
        message: 'The stream ended before it was complete',
        requestId: this.requestId,
      });
    } finally {
      // Whatever ended the loop early (break, an error), the request is aborted and the socket freed.
      if (!finished) attempt.abort('closed');
      attempt.finish();
      reader.cancel().catch(() => undefined);
    }
  }
}

function parse(data: string): unknown {
  try {
    return JSON.parse(data);
  } catch {
    return undefined;
  }
}
