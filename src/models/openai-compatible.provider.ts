import { Logger } from '@nestjs/common';
import { createParser } from 'eventsource-parser';
import type { Dispatcher } from 'undici';

import { AppException } from '../core/errors/app.exception';
import { ErrorCode } from '../core/errors/error-code';
import { ProviderRefusal } from '../core/errors/openai-error';
import { Cancellation, CancelSignal } from '../core/http/cancellation';
import {
  ChatCompletion,
  ChatRequest,
  ChatStream,
  chatStream,
  isCut,
  ModelProvider,
  ProviderConfig,
  StreamState,
  TokenUsage,
} from './provider.types';
import { countPromptTokens, countTokens } from './tokenizer';
import { finishOf, textOfChoices } from './wire';

export interface UpstreamPolicy {
  timeoutMs: number;
  maxRetries: number;
}

const RETRY_BASE_MS = 250;
const RETRY_MAX_DELAY_MS = 2000;

/** Aborts when the caller leaves, at the shutdown deadline, or when the timer fires (then `timedOut` is set). */
class Deadline {
  /** undici takes any object with `aborted` and add/removeEventListener as a request's signal. */
  readonly controller = new Cancellation();
  timedOut = false;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly req: ChatRequest,
    readonly ms: number,
  ) {
    if (isCut(req)) this.controller.abort();
    else {
      // The deadline is its own listener and timer argument: no closures per call.
      req.signal.addEventListener('abort', this, { once: true });
      req.shutdown.addEventListener('abort', this, { once: true });
    }
    this.timer = setTimeout(expire, ms, this);
  }

  get aborted(): boolean {
    return this.controller.aborted;
  }

  handleEvent(): void {
    this.controller.abort();
  }

  /** Every chunk of a stream gives the provider the whole timeout again. */
  restart(): void {
    this.timer.refresh();
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.req.signal.removeEventListener('abort', this);
    this.req.shutdown.removeEventListener('abort', this);
  }
}

function expire(deadline: Deadline): void {
  deadline.timedOut = true;
  deadline.controller.abort();
}

/** The provider answered with an error status; `error` is its OpenAI error object, if it sent one. */
class UpstreamStatus extends Error {
  constructor(
    readonly status: number,
    readonly retryAfter: string | undefined,
    readonly error: Record<string, unknown> | undefined,
  ) {
    super(`status ${status}`);
  }
}

/** A 200 whose body is not the JSON it should be: a broken provider, not worth a retry. */
class UnreadableAnswer extends Error {}

function isRetryable(err: unknown): boolean {
  if (err instanceof UpstreamStatus) return err.status === 429 || err.status >= 500;
  // Anything else before the answer is the connection: refused, reset, closed early.
  return !(err instanceof UnreadableAnswer);
}

function retryDelay(err: unknown, attempt: number): number {
  const header = err instanceof UpstreamStatus ? err.retryAfter : undefined;
  const asked = header ? Number(header) * 1000 : NaN;
  const backoff = RETRY_BASE_MS * 2 ** attempt * (0.75 + Math.random() / 2);
  return Math.min(Number.isFinite(asked) ? Math.max(asked, backoff) : backoff, RETRY_MAX_DELAY_MS);
}

const sleep = (ms: number, signal: CancelSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });

function errorObject(text: string): Record<string, unknown> | undefined {
  try {
    const body = JSON.parse(text) as { error?: unknown } | null;
    const error = body?.error;
    return error && typeof error === 'object' ? (error as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

interface WireUsage {
  prompt_tokens: number;
  completion_tokens: number;
}

/** The largest count a usage record stores (a PostgreSQL integer). */
const MAX_COUNT = 2 ** 31 - 1;
const isCount = (n: unknown): n is number =>
  Number.isInteger(n) && (n as number) >= 0 && (n as number) <= MAX_COUNT;

/**
 * The provider's token counts, or undefined when it sent none a record can hold (a string, a
 * fraction, a negative or absurd number): then they are counted here, as when usage is missing.
 */
function usageOf(usage: unknown): TokenUsage | undefined {
  const u = usage as Partial<WireUsage> | null | undefined;
  if (!u || !isCount(u.prompt_tokens) || !isCount(u.completion_tokens)) return undefined;
  return { input: u.prompt_tokens, output: u.completion_tokens };
}

/**
 * An OpenAI-compatible Chat Completions endpoint, called with undici's `request` on the shared
 * keep-alive pool: the body sent as one JSON string, a plain answer read once and parsed once, a
 * stream's text (a Node stream, no web streams) through eventsource-parser as it comes. A
 * hand-written `data:` line splitter measured the same (~1.3 µs per 10-event stream), so the
 * library stays. The `openai` client this replaced, with its `Response`, web streams and
 * `AbortSignal` plumbing, took 11 % of a /v1 call's main thread, three to four times this CPU.
 */
export class OpenAICompatibleProvider implements ModelProvider {
  private readonly logger: Logger;
  private readonly origin: string;
  private readonly path: string;
  private readonly jsonHeaders: Record<string, string>;
  private readonly streamHeaders: Record<string, string>;

  constructor(
    private readonly config: ProviderConfig,
    private readonly policy: UpstreamPolicy,
    private readonly dispatcher: Dispatcher,
  ) {
    this.logger = new Logger(`Provider:${config.name}`);
    const url = new URL(`${config.baseURL.replace(/\/+$/, '')}/chat/completions`);
    this.origin = url.origin;
    this.path = url.pathname + url.search;
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'openclaw-server',
    };
    if (config.apiKey) headers.authorization = `Bearer ${config.apiKey}`;
    this.jsonHeaders = { accept: 'application/json', ...headers };
    this.streamHeaders = { accept: 'text/event-stream', ...headers };
  }

  get name(): string {
    return this.config.name;
  }

  async complete(req: ChatRequest): Promise<ChatCompletion> {
    const wire = req.wire !== undefined;
    const deadline = new Deadline(req, this.policy.timeoutMs);
    let body: Record<string, unknown>;
    try {
      body = await this.withRetries(deadline, JSON.stringify(this.bodyOf(req, false)), false);
    } catch (err) {
      throw this.toAppError(err, deadline, wire);
    } finally {
      deadline.dispose();
    }
    const choices = body.choices as { message?: { content?: unknown } }[] | undefined;
    const content = choices?.[0]?.message?.content;
    return {
      content: typeof content === 'string' ? content : '',
      finishReason: wire ? finishOf(choices) : firstFinish(choices),
      usage: usageOf(body.usage) ?? {
        input: countPromptTokens(req.messages),
        output: countTokens(
          wire ? textOfChoices(choices, 'message') : typeof content === 'string' ? content : '',
        ),
      },
      // A wire call's `chat.completion` as the provider answered it, whole.
      ...(wire ? { body } : {}),
    };
  }

  /**
   * A chat stream yields the text pieces; a wire stream (`/v1`) the provider's `data:` frames as
   * they came, those of one read together (parsed only to read usage, the finish and the text), the
   * usage-only chunk dropped when the caller did not ask for it. After `data: [DONE]` the body is
   * still read to its end: leaving it early destroys the socket (and costs an AbortError's stack).
   */
  async stream(req: ChatRequest): Promise<ChatStream> {
    const wire = req.wire !== undefined;
    const deadline = new Deadline(req, this.policy.timeoutMs);
    let body: Dispatcher.ResponseData['body'];
    try {
      body = await this.withRetries(deadline, JSON.stringify(this.bodyOf(req, true)), true);
    } catch (err) {
      deadline.dispose();
      throw this.toAppError(err, deadline, wire);
    }
    const state: StreamState = { usage: undefined, complete: false, text: wire ? '' : undefined };
    return chatStream(
      wire ? this.frames(req, body, deadline, state) : this.pieces(req, body, deadline, state),
      state,
    );
  }

  /**
   * Our model id, limits and the messages, with the caller's other OpenAI fields as they are (the
   * options name none of ours: openai.service's PASSED_ON). They go last, as a spread that opens an
   * object is slow on Node 20 (spreadChecks() in eslint.config.mjs).
   */
  private bodyOf(req: ChatRequest, stream: boolean): Record<string, unknown> {
    return {
      model: req.model,
      messages: req.wire ? req.wire.messages : req.messages,
      temperature: req.temperature,
      ...(req.wire?.limits ?? { max_tokens: req.maxTokens }),
      stream,
      // Always asked for, so the usage is the provider's; a wire stream relays it only when its caller asked too.
      ...(stream ? { stream_options: { include_usage: true } } : {}),
      ...req.options,
    };
  }

  /**
   * A stream's `data:` payloads up to `[DONE]`, each with its parsed chunk, those of one read
   * together: one step of this generator per read rather than per payload (the batch is reused, so
   * it is read before the next step). Once it is done, `outcome.ended` says whether the reply ended
   * by itself; false when it was cut (the caller left, the server is stopping: the runner tells
   * that end).
   */
  private async *read(
    body: Dispatcher.ResponseData['body'],
    deadline: Deadline,
    outcome: ReadOutcome,
  ): AsyncGenerator<StreamBatch> {
    const batch: StreamBatch = { data: [], chunks: [] };
    const { data, chunks } = batch;
    const parser = createParser({ onEvent: (event) => data.push(event.data) });
    let done = false;
    try {
      body.setEncoding('utf8');
      for await (const piece of body as AsyncIterable<string>) {
        if (done) continue;
        deadline.restart();
        parser.feed(piece);
        const end = data.indexOf('[DONE]');
        if (end >= 0) data.length = end;
        let broken: unknown;
        for (let i = 0; i < data.length; i++) {
          try {
            chunks.push(parseChunk(data[i]));
          } catch (err) {
            // What came before the bad chunk is still shown and stored.
            broken = err;
            data.length = i;
            break;
          }
        }
        done = end >= 0 && broken === undefined;
        if (data.length > 0) yield batch;
        data.length = 0;
        chunks.length = 0;
        if (broken) throw broken;
      }
    } catch (err) {
      if (!done && this.stopped(err, deadline)) return;
    } finally {
      deadline.dispose();
    }
    outcome.ended = done || !this.stopped(undefined, deadline);
    outcome.done = done;
  }

  private async *pieces(
    req: ChatRequest,
    body: Dispatcher.ResponseData['body'],
    deadline: Deadline,
    state: StreamState,
  ): AsyncGenerator<string> {
    let finished = false;
    let text = '';
    const outcome: ReadOutcome = { ended: false, done: false };
    for await (const batch of this.read(body, deadline, outcome)) {
      for (let i = 0; i < batch.chunks.length; i++) {
        const chunk = batch.chunks[i];
        if (chunk.usage) state.usage = usageOf(chunk.usage) ?? state.usage;
        const choice = (chunk.choices as ChunkChoice[] | undefined)?.[0];
        if (choice?.finish_reason) {
          finished = true;
          state.finishReason = choice.finish_reason;
        }
        const content = choice?.delta?.content;
        if (!content) continue;
        text += content;
        yield content;
      }
    }
    if (!outcome.ended) return;
    state.complete = finished || outcome.done;
    state.usage ??= { input: countPromptTokens(req.messages), output: countTokens(text) };
    if (!state.complete) throw earlyEnd();
  }

  private async *frames(
    req: ChatRequest,
    body: Dispatcher.ResponseData['body'],
    deadline: Deadline,
    state: StreamState,
  ): AsyncGenerator<string> {
    const includeUsage = req.wire!.includeUsage;
    let finished = false;
    let last: Record<string, unknown> = {};
    const outcome: ReadOutcome = { ended: false, done: false };
    for await (const batch of this.read(body, deadline, outcome)) {
      let out = '';
      for (let i = 0; i < batch.chunks.length; i++) {
        const chunk = batch.chunks[i];
        last = chunk;
        const usage = chunk.usage as WireUsage | null | undefined;
        if (usage) state.usage = usageOf(usage) ?? state.usage;
        const choices = chunk.choices as unknown[] | undefined;
        const finish = finishOf(choices);
        if (finish) {
          finished = true;
          state.finishReason ??= finish;
        }
        state.text += textOfChoices(choices, 'delta');
        if (usage && !includeUsage && (!choices || choices.length === 0)) continue;
        out += `data: ${batch.data[i]}\n\n`;
      }
      if (out) yield out;
    }
    if (!outcome.ended) return;
    state.complete = finished || outcome.done;
    if (!state.complete) throw earlyEnd();
    if (!state.usage) {
      state.usage = { input: countPromptTokens(req.messages), output: countTokens(state.text!) };
      // The caller asked for usage the provider did not send: ours, in OpenAI's last chunk.
      if (includeUsage) {
        const { input, output } = state.usage;
        const usage = {
          prompt_tokens: input,
          completion_tokens: output,
          total_tokens: input + output,
        };
        yield `data: ${JSON.stringify({ id: last.id, object: 'chat.completion.chunk', created: last.created, model: last.model, choices: [], usage })}\n\n`;
      }
    }
  }

  /**
   * How a stream read ends when it threw (`err`) or was cut: true when the caller left or the
   * server is stopping (the runner tells that end, not us); the timeout or a broken reply thrown.
   */
  private stopped(err: unknown, deadline: Deadline): boolean {
    if (deadline.timedOut) throw this.toAppError(err, deadline);
    if (deadline.aborted) return true;
    if (err === undefined) return false;
    if (err instanceof AppException) throw err;
    const provider = this.config.name;
    throw new AppException(
      ErrorCode.UPSTREAM_ERROR,
      `The model provider ${provider} broke off the reply`,
      { provider },
    );
  }

  /** One call, retried before its first byte; a plain answer parsed, a stream's body to read. */
  private withRetries(
    deadline: Deadline,
    payload: string,
    stream: false,
  ): Promise<Record<string, unknown>>;
  private withRetries(
    deadline: Deadline,
    payload: string,
    stream: true,
  ): Promise<Dispatcher.ResponseData['body']>;
  private async withRetries(
    deadline: Deadline,
    payload: string,
    stream: boolean,
  ): Promise<Record<string, unknown> | Dispatcher.ResponseData['body']> {
    const signal = deadline.controller;
    for (let attempt = 0; ; attempt++) {
      try {
        const res = await this.dispatcher.request({
          origin: this.origin,
          path: this.path,
          method: 'POST',
          headers: stream ? this.streamHeaders : this.jsonHeaders,
          body: payload,
          signal: signal as unknown as AbortSignal,
        });
        if (res.statusCode < 200 || res.statusCode >= 300) {
          const retryAfter = res.headers['retry-after'];
          const text = await res.body.text();
          throw new UpstreamStatus(
            res.statusCode,
            typeof retryAfter === 'string' ? retryAfter : undefined,
            errorObject(text),
          );
        }
        if (stream) return res.body;
        const text = await res.body.text();
        return parseAnswer(text);
      } catch (err) {
        if (signal.aborted || attempt >= this.policy.maxRetries || !isRetryable(err)) throw err;
        const delay = retryDelay(err, attempt);
        this.logger.warn(
          `Attempt ${attempt + 1} failed (${describe(err)}); retrying in ${Math.round(delay)} ms`,
        );
        await sleep(delay, signal);
        if (signal.aborted) throw err;
      }
    }
  }

  private toAppError(err: unknown, deadline: Deadline, wire = false): unknown {
    if (err instanceof AppException) return err;
    const provider = this.config.name;
    if (deadline.timedOut) {
      return new AppException(
        ErrorCode.UPSTREAM_TIMEOUT,
        `The model provider ${provider} did not answer within ${deadline.ms} ms`,
        { provider },
      );
    }
    if (deadline.aborted) return err;
    this.logger.warn(`Request failed: ${describe(err)}`);
    if (err instanceof UpstreamStatus) {
      // What the provider refuses in an OpenAI call is its own answer to the caller (SPEC §10).
      if (wire && (err.status === 400 || err.status === 422)) {
        return new ProviderRefusal(refusalOf(err), provider);
      }
      return new AppException(
        ErrorCode.UPSTREAM_ERROR,
        `The model provider ${provider} answered ${err.status}`,
        { provider, upstream_status: err.status },
      );
    }
    return new AppException(
      ErrorCode.UPSTREAM_ERROR,
      `The model provider ${provider} could not be reached`,
      { provider },
    );
  }
}

/**
 * How a stream's body ended: `ended` by itself (not cut by the caller or the shutdown), `done` with
 * `data: [DONE]`. A reply is complete with a `finish_reason` or with `[DONE]`: some
 * OpenAI-compatible providers send no `finish_reason`; a body that just stops without either was cut.
 */
interface ReadOutcome {
  ended: boolean;
  done: boolean;
}

interface ChunkChoice {
  finish_reason?: string | null;
  delta?: { content?: string | null };
}

/** A `chat.completion`: a JSON object with a `choices` list, else no answer at all. */
function parseAnswer(text: string): Record<string, unknown> {
  try {
    const body = JSON.parse(text) as { choices?: unknown } | null;
    if (body && typeof body === 'object' && Array.isArray(body.choices))
      return body as Record<string, unknown>;
  } catch {
    // below
  }
  throw new UnreadableAnswer('the answer is not a chat completion');
}

/** One `data:` chunk; a provider's error event ends the reply as a broken one. */
/** The `data:` payloads of one read of a stream, and each one's chunk. */
interface StreamBatch {
  data: string[];
  chunks: Record<string, unknown>[];
}

function parseChunk(data: string): Record<string, unknown> {
  const chunk = JSON.parse(data) as Record<string, unknown> | null;
  if (!chunk || typeof chunk !== 'object')
    throw new Error('the provider sent a chunk that is not an object');
  if (chunk.error) throw new Error('the provider sent an error event');
  return chunk;
}

/** A chat call's finish reason: the first choice's, as the chat routes have one choice. */
function firstFinish(choices: unknown): string | undefined {
  const finish = (choices as { finish_reason?: unknown }[] | undefined)?.[0]?.finish_reason;
  return typeof finish === 'string' ? finish : undefined;
}

const earlyEnd = () =>
  new AppException(ErrorCode.UPSTREAM_ERROR, 'The model provider ended the reply early');

/** The provider's error object as OpenAI's clients read it; its status line when it sent none. */
function refusalOf(err: UpstreamStatus): ProviderRefusal['openai'] {
  const e = err.error ?? {};
  const str = (v: unknown) => (typeof v === 'string' ? v : null);
  return {
    message: str(e.message) ?? `The model provider refused the request (${err.status})`,
    type: str(e.type) ?? 'invalid_request_error',
    code: str(e.code),
    param: str(e.param),
  };
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message || err.constructor.name : String(err);
}
