import { Logger } from '@nestjs/common';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import OpenAI, { APIConnectionError, APIError, APIUserAbortError } from 'openai';
import type { Dispatcher } from 'undici';

import { AppException } from '../core/errors/app.exception';
import { ErrorCode } from '../core/errors/error-code';
import { ProviderRefusal } from '../core/errors/openai-error';
import {
  ChatCompletion,
  ChatRequest,
  ChatStream,
  chatStream,
  ModelProvider,
  ProviderConfig,
  StreamState,
} from './provider.types';
import { providerFetch } from './provider-fetch';
import { countPromptTokens, countTokens } from './tokenizer';
import { finishOf, textOfChoices } from './wire';

export interface UpstreamPolicy {
  timeoutMs: number;
  maxRetries: number;
}

const RETRY_BASE_MS = 250;
const RETRY_MAX_DELAY_MS = 2000;

/** Aborts when the caller's signal does, or when the timer fires (then `timedOut` is set). */
class Deadline {
  readonly controller = new AbortController();
  timedOut = false;
  private timer?: NodeJS.Timeout;
  private readonly onCallerAbort = () => this.controller.abort();

  constructor(
    private readonly caller: AbortSignal,
    private readonly ms: number,
  ) {
    if (caller.aborted) this.controller.abort();
    else caller.addEventListener('abort', this.onCallerAbort, { once: true });
    this.restart();
  }

  restart(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timedOut = true;
      this.controller.abort();
    }, this.ms);
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.caller.removeEventListener('abort', this.onCallerAbort);
  }
}

function isRetryable(err: unknown): boolean {
  if (err instanceof APIUserAbortError) return false;
  if (err instanceof APIConnectionError) return true;
  return err instanceof APIError && (err.status === 429 || (err.status ?? 0) >= 500);
}

function retryDelay(err: unknown, attempt: number): number {
  const header = err instanceof APIError ? err.headers?.get('retry-after') : null;
  const asked = header ? Number(header) * 1000 : NaN;
  const backoff = RETRY_BASE_MS * 2 ** attempt * (0.75 + Math.random() / 2);
  return Math.min(Number.isFinite(asked) ? Math.max(asked, backoff) : backoff, RETRY_MAX_DELAY_MS);
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });

/** An OpenAI-compatible Chat Completions endpoint through the official `openai` client. */
export class OpenAICompatibleProvider implements ModelProvider {
  private readonly client: OpenAI;
  private readonly logger: Logger;

  constructor(
    private readonly config: ProviderConfig,
    private readonly policy: UpstreamPolicy,
    dispatcher: Dispatcher,
  ) {
    this.logger = new Logger(`Provider:${config.name}`);
    this.client = new OpenAI({
      apiKey: config.apiKey ?? 'not-needed',
      baseURL: config.baseURL,
      // Retries and timeouts are ours: only before the first byte, never after a timeout.
      maxRetries: 0,
      timeout: 24 * 3600 * 1000,
      fetch: providerFetch(dispatcher),
    });
  }

  get name(): string {
    return this.config.name;
  }

  async complete(req: ChatRequest): Promise<ChatCompletion> {
    if (req.wire) return this.completeWire(req);
    const deadline = new Deadline(req.signal, this.policy.timeoutMs);
    try {
      const res = await this.withRetries(deadline, () =>
        this.client.chat.completions.create(
          {
            ...req.options,
            model: req.model,
            messages: req.messages,
            temperature: req.temperature,
            max_tokens: req.maxTokens,
            stream: false,
          },
          { signal: deadline.controller.signal },
        ),
      );
      const content = res.choices[0]?.message?.content ?? '';
      return {
        content,
        finishReason: res.choices[0]?.finish_reason ?? undefined,
        usage: res.usage
          ? { input: res.usage.prompt_tokens, output: res.usage.completion_tokens }
          : { input: countPromptTokens(req.messages), output: countTokens(content) },
      };
    } catch (err) {
      throw this.toAppError(err, deadline);
    } finally {
      deadline.dispose();
    }
  }

  async stream(req: ChatRequest): Promise<ChatStream> {
    if (req.wire) return this.streamWire(req);
    const deadline = new Deadline(req.signal, this.policy.timeoutMs);
    const upstream = await this.withRetries(deadline, () =>
      this.client.chat.completions.create(
        {
          ...req.options,
          model: req.model,
          messages: req.messages,
          temperature: req.temperature,
          max_tokens: req.maxTokens,
          stream: true,
          stream_options: { include_usage: true },
        },
        { signal: deadline.controller.signal },
      ),
    ).catch((err: unknown) => {
      deadline.dispose();
      throw this.toAppError(err, deadline);
    });

    const state: StreamState = { usage: undefined, complete: false };
    const toAppError = (err: unknown) => this.toAppError(err, deadline);
    const provider = this.config.name;
    let text = '';
    async function* chunks(): AsyncGenerator<string> {
      let finished = false;
      try {
        for await (const chunk of upstream) {
          deadline.restart();
          if (chunk.usage) {
            state.usage = {
              input: chunk.usage.prompt_tokens,
              output: chunk.usage.completion_tokens,
            };
          }
          const choice = chunk.choices?.[0];
          if (choice?.finish_reason) {
            finished = true;
            state.finishReason = choice.finish_reason;
          }
          const piece = choice?.delta?.content;
          if (piece) {
            text += piece;
            yield piece;
          }
        }
      } catch (err) {
        if (deadline.timedOut || err instanceof AppException) throw toAppError(err);
        throw new AppException(
          ErrorCode.UPSTREAM_ERROR,
          `The model provider ${provider} broke off the reply`,
          {
            provider,
          },
        );
      } finally {
        deadline.dispose();
      }
      // The client library ends iteration quietly on abort: only a finish_reason proves the end.
      if (deadline.controller.signal.aborted) {
        if (deadline.timedOut) throw toAppError(new Error('timeout'));
        return;
      }
      state.complete = finished;
      state.usage ??= { input: countPromptTokens(req.messages), output: countTokens(text) };
      if (!finished)
        throw new AppException(
          ErrorCode.UPSTREAM_ERROR,
          'The model provider ended the reply early',
        );
    }
    return chatStream(chunks(), state);
  }

  /** The caller's OpenAI fields as they are, with our model id, limits and the caller's messages. */
  private wireBody(req: ChatRequest, stream: boolean): Record<string, unknown> {
    return {
      ...req.options,
      model: req.model,
      messages: req.wire!.messages,
      temperature: req.temperature,
      max_tokens: req.maxTokens,
      stream,
      // Always asked for, so the usage is the provider's; relayed only when the caller asked too.
      ...(stream ? { stream_options: { include_usage: true } } : {}),
    };
  }

  /** A wire call's plain answer: the provider's `chat.completion`, whole. */
  private async completeWire(req: ChatRequest): Promise<ChatCompletion> {
    const deadline = new Deadline(req.signal, this.policy.timeoutMs);
    try {
      const body = (await this.withRetries(deadline, () =>
        this.client.post('/chat/completions', {
          body: this.wireBody(req, false),
          signal: deadline.controller.signal,
        }),
      )) as Record<string, unknown>;
      const choices = body.choices as { message?: { content?: unknown } }[] | undefined;
      const content = choices?.[0]?.message?.content;
      const usage = body.usage as OpenAI.CompletionUsage | undefined;
      return {
        content: typeof content === 'string' ? content : '',
        finishReason: finishOf(choices),
        usage: usage
          ? { input: usage.prompt_tokens, output: usage.completion_tokens }
          : {
              input: countPromptTokens(req.messages),
              output: countTokens(textOfChoices(choices, 'message')),
            },
        body,
      };
    } catch (err) {
      throw this.toAppError(err, deadline, true);
    } finally {
      deadline.dispose();
    }
  }

  /**
   * A wire call's stream: the provider's `data:` frames relayed as they came (parsed only to read
   * usage, the finish and the text), the usage-only chunk dropped when the caller did not ask for it.
   */
  private async streamWire(req: ChatRequest): Promise<ChatStream> {
    const deadline = new Deadline(req.signal, this.policy.timeoutMs);
    const response = await this.withRetries(deadline, () =>
      this.client.chat.completions
        .create(this.wireBody(req, true) as unknown as OpenAI.ChatCompletionCreateParamsStreaming, {
          signal: deadline.controller.signal,
        })
        .asResponse(),
    ).catch((err: unknown) => {
      deadline.dispose();
      throw this.toAppError(err, deadline, true);
    });

    const state: StreamState = { usage: undefined, complete: false, text: '' };
    const toAppError = (err: unknown) => this.toAppError(err, deadline, true);
    const provider = this.config.name;
    const includeUsage = req.wire!.includeUsage;
    async function* frames(): AsyncGenerator<string> {
      let finished = false;
      let ended = false;
      let last: Record<string, unknown> = {};
      let events: EventSourceMessage[] = [];
      const parser = createParser({ onEvent: (event) => events.push(event) });
      const decoder = new TextDecoder();
      try {
        for await (const bytes of response.body as unknown as AsyncIterable<Uint8Array>) {
          deadline.restart();
          parser.feed(decoder.decode(bytes, { stream: true }));
          const batch = events;
          events = [];
          for (const event of batch) {
            if (event.data === '[DONE]') {
              ended = true;
              break;
            }
            const chunk = JSON.parse(event.data) as Record<string, unknown>;
            if (chunk.error) throw new Error('the provider sent an error event');
            last = chunk;
            const usage = chunk.usage as OpenAI.CompletionUsage | null | undefined;
            if (usage)
              state.usage = { input: usage.prompt_tokens, output: usage.completion_tokens };
            const choices = chunk.choices as unknown[] | undefined;
            const finish = finishOf(choices);
            if (finish) {
              finished = true;
              state.finishReason ??= finish;
            }
            state.text += textOfChoices(choices, 'delta');
            if (usage && !includeUsage && (!choices || choices.length === 0)) continue;
            yield `data: ${event.data}\n\n`;
          }
          if (ended) break;
        }
      } catch (err) {
        if (deadline.timedOut || err instanceof AppException) throw toAppError(err);
        // The caller left or the server is stopping: the runner tells the stream's end, not us.
        if (deadline.controller.signal.aborted) return;
        throw new AppException(
          ErrorCode.UPSTREAM_ERROR,
          `The model provider ${provider} broke off the reply`,
          { provider },
        );
      } finally {
        deadline.dispose();
      }
      if (deadline.controller.signal.aborted) {
        if (deadline.timedOut) throw toAppError(new Error('timeout'));
        return;
      }
      state.complete = finished;
      if (!finished)
        throw new AppException(
          ErrorCode.UPSTREAM_ERROR,
          'The model provider ended the reply early',
        );
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
    return chatStream(frames(), state);
  }

  private async withRetries<T>(deadline: Deadline, call: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await call();
      } catch (err) {
        const signal = deadline.controller.signal;
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
        `The model provider ${provider} did not answer within ${this.policy.timeoutMs} ms`,
        { provider },
      );
    }
    if (err instanceof APIUserAbortError || deadline.controller.signal.aborted) return err;
    this.logger.warn(`Request failed: ${describe(err)}`);
    // What the provider refuses in an OpenAI call is its own answer to the caller (SPEC §10).
    if (wire && err instanceof APIError && (err.status === 400 || err.status === 422)) {
      return new ProviderRefusal(refusalOf(err), provider);
    }
    if (err instanceof APIError && err.status !== undefined) {
      return new AppException(
        ErrorCode.UPSTREAM_ERROR,
        `The model provider ${provider} answered ${err.status}`,
        { provider, upstream_status: err.status },
      );
    }
    return new AppException(
      ErrorCode.UPSTREAM_ERROR,
      `The model provider ${provider} could not be reached`,
      {
        provider,
      },
    );
  }
}

/** The provider's error object as OpenAI's clients read it; its status line when it sent none. */
function refusalOf(err: APIError): ProviderRefusal['openai'] {
  const e = (err.error ?? {}) as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === 'string' ? v : null);
  return {
    message: str(e.message) ?? `The model provider refused the request (${err.status})`,
    type: str(e.type) ?? 'invalid_request_error',
    code: str(e.code),
    param: str(e.param),
  };
}

function describe(err: unknown): string {
  if (err instanceof APIError) return err.status ? `status ${err.status}` : err.constructor.name;
  return err instanceof Error ? err.message : String(err);
}
