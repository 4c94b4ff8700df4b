import { Inject, Injectable, Logger, Optional } from '@nestjs/common';

import type { Principal } from '../core/auth/principal';
import { AppException } from '../core/errors/app.exception';
import { ErrorCode } from '../core/errors/error-code';
import type { CancelSignal } from '../core/http/cancellation';
import { ShutdownService } from '../core/shutdown/shutdown.service';
import { MetricsService } from '../metrics/metrics.service';
import type { ResolvedModel } from '../models/model-registry.service';
import type { ChatCompletion, ChatRequest, ChatStream, TokenUsage } from '../models/provider.types';
import { countPromptTokens, countTokens } from '../models/tokenizer';
import {
  COMPLETION_GATE,
  CompletionCall,
  CompletionEndpoint,
  CompletionGate,
  CompletionOutcome,
  CompletionRecord,
  CompletionStatus,
  OPEN_GATE,
} from './completion-gate';

/** One provider call as a route asks for it: who, where from, which model and what to send. */
export interface CompletionSpec {
  principal: Principal;
  endpoint: CompletionEndpoint;
  model: ResolvedModel;
  request: Omit<ChatRequest, 'signal' | 'shutdown'>;
  /** Aborts when the caller went away (see core/http/client-gone). */
  clientGone: CancelSignal;
}

/** How a stream ended, for the route to store and to tell its client. */
export interface StreamEnd {
  /** The provider ended the reply itself and nothing cut it short. */
  complete: boolean;
  usage: TokenUsage;
  finishReason?: string;
  outcome: CompletionOutcome;
}

/** The metric label of a call that threw: its error code, or `aborted` when it was cut. */
const failureLabel = (err: unknown): string =>
  err instanceof AppException ? err.code.toLowerCase() : 'aborted';

/**
 * Every provider call, plain and streamed, for every wire format (STYLE habit 17). The runner owns
 * what happens around the provider: the gate's `admit` before it is reached (its error is the
 * request's, before any byte is sent), the abort when the client goes away or the shutdown deadline
 * passes, the wait for a stream's first chunk (a route opens its response only then, so every
 * earlier error is a plain one), the usage (the provider's, else counted with models/tokenizer),
 * the upstream metrics, and the gate's `settle`, exactly once per admitted call.
 *
 * A call the runner cannot finish (provider error or timeout: `failed`; client gone or shutdown:
 * `incomplete`) is settled by the runner before it throws. A call that produced a reply is handed
 * back, outcome included, and the route settles it with `settle(recorded)` once it has done its
 * part: a chat turn stores the turn first, with the usage record the gate made of its outcome
 * (`record()`), in the turn's own transaction, then settles with `recorded: true` (or `false` when
 * storing failed);
 * `/v1` stores nothing and settles with `recorded: false`. A gate that fails to settle is logged,
 * never the caller's error: the reply has been produced by then.
 *
 * Retries and timeouts stay with the provider adapters (models/openai-compatible.provider.ts):
 * they differ per protocol, and only the adapter knows when its first byte has arrived.
 */
@Injectable()
export class CompletionRunner {
  private readonly logger = new Logger(CompletionRunner.name);
  private readonly gate: CompletionGate;

  constructor(
    private readonly metrics: MetricsService,
    private readonly shutdown: ShutdownService,
    @Optional() @Inject(COMPLETION_GATE) gate?: CompletionGate,
  ) {
    this.gate = gate ?? OPEN_GATE;
  }

  /** A plain call: the whole reply, to be settled by the caller. */
  async complete(spec: CompletionSpec): Promise<FinishedCompletion> {
    const call = this.callOf(spec);
    await this.gate.admit(call);
    const started = performance.now();
    let result: ChatCompletion;
    try {
      // At the shutdown deadline the caller gets a 503 rather than a dropped connection.
      result = await spec.model.provider.complete(this.requestOf(spec));
    } catch (err) {
      throw await this.cutShort(spec, call, started, err, '');
    }
    const outcome = this.observe(spec, started, 'complete', result.usage, 'complete');
    return new FinishedCompletion(
      result,
      outcome,
      () => this.record(call, outcome),
      (recorded) => this.settle(call, outcome, recorded),
    );
  }

  /**
   * A streamed call, once the provider produced its first chunk; undefined when the client left
   * before that (then there is no one to answer). The caller reads `first`, then `chunks`, and
   * calls `finish` when they end.
   */
  async stream(spec: CompletionSpec): Promise<CompletionStream | undefined> {
    const call = this.callOf(spec);
    await this.gate.admit(call);
    const started = performance.now();
    let stream: ChatStream;
    let chunks: AsyncIterator<string>;
    let first: IteratorResult<string>;
    try {
      // At the shutdown deadline a stream ends the way a departing client's does, but the client is told.
      stream = await spec.model.provider.stream(this.requestOf(spec));
      chunks = stream[Symbol.asyncIterator]();
      first = await chunks.next();
    } catch (err) {
      throw await this.cutShort(spec, call, started, err, '');
    }
    if (this.isCut(spec)) {
      // Stopped before the first byte: nothing was shown, so nothing is stored.
      await chunks.return?.(undefined);
      const shown = stream.text ?? first.value ?? '';
      const error = await this.cutShort(spec, call, started, undefined, shown);
      if (error) throw error;
      return undefined;
    }
    return new CompletionStream(this, spec, call, started, stream, chunks, first);
  }

  /** @internal The end of a stream past its first chunk; see CompletionStream.finish. */
  endStream(
    spec: CompletionSpec,
    started: number,
    stream: ChatStream,
    reply: string,
    failure: unknown,
  ): StreamEnd {
    const cut = this.isCut(spec);
    const complete = failure === undefined && !cut && stream.complete;
    if (failure !== undefined && !cut) this.logFailure(failure);
    // A wire stream relays frames, not text: it keeps the text it has shown itself.
    const usage = stream.usage ?? this.count(spec, stream.text ?? reply);
    const status: CompletionStatus = complete ? 'complete' : cut ? 'incomplete' : 'failed';
    const outcome = this.observe(
      spec,
      started,
      complete ? 'complete' : 'incomplete',
      usage,
      status,
    );
    return { complete, usage, finishReason: stream.finishReason, outcome };
  }

  /** @internal The usage record of an ended call, for a caller that stores it itself. */
  record(call: CompletionCall, outcome: CompletionOutcome): CompletionRecord | null {
    return this.gate.record?.(call, outcome) ?? null;
  }

  /** @internal Settles once; a gate that fails is logged, the caller's reply goes on. */
  async settle(call: CompletionCall, outcome: CompletionOutcome, recorded: boolean): Promise<void> {
    try {
      await this.gate.settle(call, outcome, recorded);
    } catch (err) {
      this.logger.error(
        `Settling a ${call.model} call failed: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  }

  /** @internal The error to tell a client whose call the shutdown deadline cut short. */
  interruption(spec: CompletionSpec, details?: Record<string, unknown>): AppException | undefined {
    return this.shutdown.interruption(spec.clientGone, details);
  }

  /**
   * A call that ended before it produced a reply (an error, or the signal before the first byte):
   * observed and settled here. Returns the error to throw, if any.
   */
  private async cutShort(
    spec: CompletionSpec,
    call: CompletionCall,
    started: number,
    err: unknown,
    shown: string,
  ): Promise<unknown> {
    // Cut by the client or the deadline: the provider read the prompt, so its tokens count.
    const cut = this.isCut(spec);
    const usage = cut ? this.count(spec, shown) : { input: 0, output: 0 };
    const outcome = this.observe(
      spec,
      started,
      err === undefined ? 'aborted' : failureLabel(err),
      usage,
      cut ? 'incomplete' : 'failed',
    );
    await this.settle(call, outcome, false);
    return this.shutdown.interruption(spec.clientGone) ?? err;
  }

  /** Upstream latency and tokens into the metrics; the outcome for the gate. */
  private observe(
    spec: CompletionSpec,
    started: number,
    label: string,
    usage: TokenUsage,
    status: CompletionStatus,
  ): CompletionOutcome {
    const latencyMs = performance.now() - started;
    const model = spec.model.id;
    this.metrics.observeUpstream(model, label, latencyMs / 1000);
    if (usage.input > 0 || usage.output > 0) this.metrics.countTokens(model, usage);
    return {
      status,
      inputTokens: usage.input,
      outputTokens: usage.output,
      latencyMs: Math.round(latencyMs),
    };
  }

  /** Our own count, for a provider that sent none. */
  private count(spec: CompletionSpec, reply: string): TokenUsage {
    return { input: countPromptTokens(spec.request.messages), output: countTokens(reply) };
  }

  private requestOf(spec: CompletionSpec): ChatRequest {
    return { signal: spec.clientGone, shutdown: this.shutdown.deadline, ...spec.request };
  }

  /** The client left or the shutdown deadline passed. */
  private isCut(spec: CompletionSpec): boolean {
    return spec.clientGone.aborted || this.shutdown.deadline.aborted;
  }

  private callOf(spec: CompletionSpec): CompletionCall {
    return {
      principal: spec.principal,
      endpoint: spec.endpoint,
      model: spec.model.id,
      provider: spec.model.provider.name,
    };
  }

  private logFailure(err: unknown): void {
    if (err instanceof AppException)
      this.logger.warn(`Stream ended early: ${err.code} ${err.message}`);
    else
      this.logger.error(
        `Stream failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
      );
  }
}

/** A plain call's reply and outcome; `settle` once the caller has done its part. */
export class FinishedCompletion {
  private settled = false;

  constructor(
    readonly result: ChatCompletion,
    readonly outcome: CompletionOutcome,
    private readonly recordWith: () => CompletionRecord | null,
    private readonly settleWith: (recorded: boolean) => Promise<void>,
  ) {}

  /** The usage record to store with the caller's own data; then `settle(true)`. */
  record(): CompletionRecord | null {
    return this.recordWith();
  }

  settle(recorded: boolean): Promise<void> {
    if (this.settled) return Promise.resolve();
    this.settled = true;
    return this.settleWith(recorded);
  }
}

/**
 * A stream past its first chunk. The caller reads `first`, then `chunks` itself (no wrapper, so no
 * extra await per chunk), calls `finish` with what it read, and `settle` once it has done its part.
 */
export class CompletionStream {
  private ended?: StreamEnd;
  private failure: unknown;
  private settled = false;

  constructor(
    private readonly runner: CompletionRunner,
    private readonly spec: CompletionSpec,
    private readonly call: CompletionCall,
    private readonly started: number,
    private readonly stream: ChatStream,
    /** The chunks after `first`. */
    readonly chunks: AsyncIterator<string>,
    readonly first: IteratorResult<string>,
  ) {}

  /** How the stream ended: `reply` is the text read, `failure` what reading it threw, if anything. */
  finish(reply: string, failure: unknown): StreamEnd {
    if (this.ended) return this.ended;
    this.failure = failure;
    this.ended = this.runner.endStream(this.spec, this.started, this.stream, reply, failure);
    return this.ended;
  }

  /** After `finish`: the usage record to store with the caller's own data; then `settle(true)`. */
  record(): CompletionRecord | null {
    return this.ended ? this.runner.record(this.call, this.ended.outcome) : null;
  }

  /** Once, after `finish`; `recorded`: the caller wrote the usage record with its own data. */
  settle(recorded: boolean): Promise<void> {
    if (!this.ended) throw new Error('A stream is settled after finish()');
    if (this.settled) return Promise.resolve();
    this.settled = true;
    return this.runner.settle(this.call, this.ended.outcome, recorded);
  }

  /** The shutdown deadline's error; undefined before it, or when the client itself left. */
  interruption(details?: Record<string, unknown>): AppException | undefined {
    return this.runner.interruption(this.spec, details);
  }

  /** What broke an incomplete reply off, as its client is told. */
  breakage(): AppException {
    return this.failure instanceof AppException
      ? this.failure
      : new AppException(ErrorCode.UPSTREAM_ERROR, 'The reply ended before it was complete');
  }
}
