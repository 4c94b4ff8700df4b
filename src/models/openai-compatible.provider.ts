import { Logger } from '@nestjs/common';
import OpenAI, { APIConnectionError, APIError, APIUserAbortError } from 'openai';
import type { Dispatcher } from 'undici';

import { AppException } from '../core/errors/app.exception';
import { ErrorCode } from '../core/errors/error-code';
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

  private toAppError(err: unknown, deadline: Deadline): unknown {
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

function describe(err: unknown): string {
  if (err instanceof APIError) return err.status ? `status ${err.status}` : err.constructor.name;
  return err instanceof Error ? err.message : String(err);
}
