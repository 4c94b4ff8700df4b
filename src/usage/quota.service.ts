import { Injectable, Logger } from '@nestjs/common';

import { AppConfigService } from '../app-config/app-config.service';
import type {
  CompletionCall,
  CompletionGate,
  CompletionOutcome,
  CompletionRecord,
} from '../completions/completion-gate';
import { CredentialCache } from '../core/auth/credential-cache.service';
import { assertKeyMayUse } from '../core/auth/key-models';
import type { Principal } from '../core/auth/principal';
import type { UserQuota } from '../core/auth/user-quota';
import { AppException } from '../core/errors/app.exception';
import { ErrorCode } from '../core/errors/error-code';
import { MetricsService } from '../metrics/metrics.service';
import { ModelPrices } from '../models/model-prices';
import { Clock } from './clock';
import { QuotaAlerts } from './quota-alerts';
import { QuotaCounters } from './quota-counters';
import { countersOf, isWatched, Limit, limitsOf, NANOS_PER_USD, shownUsed } from './quota-limits';
import { UsageRecordsRepository } from './usage-records.repository';

const LOG_EVERY_MS = 5000;
const MISSED_MAX = 100_000;

/**
 * The completion gate (SPEC §13): the key's `models`, then the quotas, before a provider is
 * reached; the usage record and the counters once the call has ended.
 *
 * A call with no limit never waits on Redis, so it goes through while Redis is down; a call with
 * one gets a prompt 503 then (SPEC §11). The check reads the counters of the current UTC day and
 * month; the addition is one script; both are atomic in Redis, so replicas together let through
 * no more than one would: only calls already in flight when a limit was reached can overshoot it.
 * A call no limit watches is not counted in Redis at all (its record is the count), so the
 * counters cost a round trip only to callers who have a limit.
 */
@Injectable()
export class QuotaService implements CompletionGate {
  private readonly logger = new Logger(QuotaService.name);
  // Counters that missed an addition while Redis was away: dropped once it is back, so they are
  // rebuilt from the records instead of staying short.
  private readonly missed = new Set<string>();
  private lastLogAt = 0;
  // Each call's record, from `record` (stored by its caller) to `settle`.
  private readonly records = new WeakMap<CompletionOutcome, CompletionRecord>();

  constructor(
    private readonly counters: QuotaCounters,
    private readonly alerts: QuotaAlerts,
    private readonly usage: UsageRecordsRepository,
    private readonly config: AppConfigService,
    private readonly prices: ModelPrices,
    private readonly metrics: MetricsService,
    private readonly clock: Clock,
    private readonly credentials: CredentialCache,
  ) {}

  async admit(call: CompletionCall): Promise<void> {
    const { principal } = call;
    // The routes check this before they look the model up; here for any caller that did not.
    assertKeyMayUse(principal, call.model);
    const defaultQuota = await this.defaultQuota(principal);
    if (!isWatched(principal, defaultQuota)) return;
    const at = this.clock.now();
    const counters = countersOf(principal, at);
    const limits = limitsOf(principal, defaultQuota, counters);

    const watched = [...new Set(limits.map((l) => l.counter))];
    let values: number[];
    try {
      await this.dropMissed();
      values = await this.counters.read(watched, at);
    } catch (err) {
      this.warnThrottled(`Quota not checked: ${err instanceof Error ? err.message : String(err)}`);
      throw new AppException(
        ErrorCode.SERVICE_UNAVAILABLE,
        'Quotas cannot be checked right now; try again shortly',
      );
    }
    const used = (l: Limit) => values[watched.indexOf(l.counter)];
    const reached = limits.filter((l) => used(l) >= l.max);
    if (reached.length === 0) return;

    for (const limit of reached) await this.alerts.reached(principal, limit, used(limit), at);
    // The caller can go on only once every reached limit has reset: name the one that resets last.
    const last = reached.reduce((a, b) => (b.counter.period.end > a.counter.period.end ? b : a));
    const resetsAt = last.counter.period.end;
    const retryAfter = Math.max(1, Math.ceil((resetsAt.getTime() - at.getTime()) / 1000));
    throw new AppException(
      ErrorCode.QUOTA_EXCEEDED,
      `Quota exceeded: ${last.name} of ${last.shown} reached`,
      { limit: last.shown, used: shownUsed(last, used(last)), resets_at: resetsAt.toISOString() },
      { 'Retry-After': String(retryAfter) },
    );
  }

  async settle(call: CompletionCall, outcome: CompletionOutcome, recorded: boolean): Promise<void> {
    // The record the caller stored, if it asked for one: counted with the same time and cost.
    const record = this.records.get(outcome) ?? this.record(call, outcome);
    this.metrics.countUsage(record);
    // The record first: it is the truth a lost counter is rebuilt from.
    if (!recorded) await this.usage.insert(record);
    await this.count(call.principal, record);
  }

  /** The usage record of a call (SPEC §13): what it used and cost, never what it said. */
  record(call: CompletionCall, outcome: CompletionOutcome): CompletionRecord {
    const record: CompletionRecord = {
      userId: call.principal.userId,
      apiKeyId: call.principal.apiKeyId ?? null,
      model: call.model,
      provider: call.provider,
      endpoint: call.endpoint,
      status: outcome.status,
      inputTokens: outcome.inputTokens,
      outputTokens: outcome.outputTokens,
      costUsd: this.prices.cost(call.model, outcome.inputTokens, outcome.outputTokens),
      latencyMs: outcome.latencyMs,
      createdAt: this.clock.now(),
    };
    this.records.set(outcome, record);
    return record;
  }

  private async count(principal: Principal, record: CompletionRecord): Promise<void> {
    const at = record.createdAt;
    const tokens = record.inputTokens + record.outputTokens;
    const nanos = Math.round((record.costUsd ?? 0) * NANOS_PER_USD);
    if (tokens === 0 && nanos === 0) return;
    const defaultQuota = await this.defaultQuota(principal);
    // Nothing watches this caller, as far as this replica can be sure: no counter of theirs is
    // read, and a change of limits drops the counters (QuotaCounterResets), so none is kept.
    if (!isWatched(principal, defaultQuota) && this.credentials.isCurrent(principal)) return;
    const counters = countersOf(principal, at);
    const limits = limitsOf(principal, defaultQuota, counters);
    const amounts = counters.map((c) => (c.metric === 'cost' ? nanos : tokens));
    let values: number[];
    try {
      await this.dropMissed();
      values = await this.counters.add(counters, amounts);
    } catch (err) {
      // Bounded: past it, a counter left short can overshoot its limit by what it missed.
      if (this.missed.size < MISSED_MAX) for (const c of counters) this.missed.add(c.key);
      this.warnThrottled(`Quota counters not updated: ${(err as Error).message}`);
      return;
    }
    // No counter of this caller exists: nothing watches it now.
    if (values.every((v) => v < 0)) return;
    // A limit this call pushed over is announced now, not only when the next call is refused.
    for (const limit of limits) {
      const i = counters.indexOf(limit.counter);
      if (values[i] >= limit.max && values[i] - amounts[i] < limit.max)
        await this.alerts.reached(principal, limit, values[i], at);
    }
  }

  private async defaultQuota(principal: Principal): Promise<UserQuota | null> {
    return principal.quota ? null : (await this.config.get()).default_user_quota;
  }

  private async dropMissed(): Promise<void> {
    if (this.missed.size === 0) return;
    const keys = [...this.missed];
    await this.counters.drop(keys);
    for (const key of keys) this.missed.delete(key);
  }

  /** A Redis outage would log once per call: at most one line every few seconds. */
  private warnThrottled(message: string): void {
    const now = Date.now();
    if (now - this.lastLogAt < LOG_EVERY_MS) return;
    this.lastLogAt = now;
    this.logger.warn(message);
  }
}
