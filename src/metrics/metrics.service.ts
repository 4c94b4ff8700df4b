import { Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

import type { RequestObserver } from '../core/http/request-pipeline';
import { rateLimitUnchecked } from '../core/redis/rate-limit-unchecked';
import { RedisService } from '../core/redis/redis.service';
import { CounterSeries, counterSeries, HistogramSeries, histogramSeries } from './series';

/** What the usage metrics read of a usage record. */
export interface UsageFigures {
  model: string;
  provider: string;
  status: string;
  inputTokens: number;
  outputTokens: number;
  costUsd: number | null;
}

/** Counters kept in Redis, so every replica exports the same cluster-wide totals. */
export type JobCounter = 'skill_runs' | 'webhook_attempts';

interface HttpSeries {
  requests: CounterSeries;
  duration: HistogramSeries;
}

/** One model's series, made on its first call. */
interface ModelSeries {
  upstream: Map<string, HistogramSeries>;
  tokens: { input: CounterSeries; output: CounterSeries };
  usage: Map<string, UsageSeries>;
}

/** One model's series through one provider. */
interface UsageSeries {
  calls: Map<string, CounterSeries>;
  input: CounterSeries;
  output: CounterSeries;
  cost: CounterSeries;
}

/** Routes are templates and statuses few, so this bounds only what an unknown method could add. */
const MAX_HTTP_SERIES = 1000;
/** Models are the configured ones; this bounds the cache, never the metrics. */
const MAX_MODEL_SERIES = 1000;

/** The Prometheus registry and every metric the server exports, made once at boot. */
@Injectable()
export class MetricsService implements RequestObserver {
  readonly registry = new Registry();

  readonly httpRequests = new Counter({
    name: 'openclaw_http_requests_total',
    help: 'HTTP requests by method, route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });

  readonly httpDuration = new Histogram({
    name: 'openclaw_http_request_duration_seconds',
    help: 'HTTP request duration by method and route template',
    labelNames: ['method', 'route'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  /** Series cached: prom-client would otherwise hash the label object on every call. */
  private readonly httpSeriesByName = new Map<string, HttpSeries>();
  /** The same children by Express route object, method and status (see requestEnded). */
  private readonly httpSeries = new Map<object, Map<string, Map<number, HttpSeries>>>();

  readonly upstreamDuration = new Histogram({
    name: 'openclaw_upstream_duration_seconds',
    help: 'Model provider calls by model and outcome (streams: until the last chunk)',
    labelNames: ['model', 'outcome'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    registers: [this.registry],
  });

  readonly upstreamTokens = new Counter({
    name: 'openclaw_upstream_tokens_total',
    help: 'Tokens by model and direction (input, output)',
    labelNames: ['model', 'direction'] as const,
    registers: [this.registry],
  });

  readonly usageTokens = new Counter({
    name: 'openclaw_usage_tokens_total',
    help: 'Tokens of recorded provider calls by model, provider and direction (input, output)',
    labelNames: ['model', 'provider', 'direction'] as const,
    registers: [this.registry],
  });

  readonly usageCost = new Counter({
    name: 'openclaw_usage_cost_usd_total',
    help: 'Cost in USD of recorded provider calls by model and provider (priced models only)',
    labelNames: ['model', 'provider'] as const,
    registers: [this.registry],
  });

  readonly usageCalls = new Counter({
    name: 'openclaw_usage_calls_total',
    help: 'Recorded provider calls by model, provider and status (complete, incomplete, failed)',
    labelNames: ['model', 'provider', 'status'] as const,
    registers: [this.registry],
  });

  // Job outcomes happen in worker processes, which serve no /metrics (SPEC §1): workers count them
  // in Redis and every API replica exports the cluster-wide totals.
  private readonly skillRuns = this.sharedCounter(
    'skill_runs',
    'Finished skill runs by status, across all workers (the same on every replica: aggregate with max)',
    'status',
  );

  private readonly webhookAttempts = this.sharedCounter(
    'webhook_attempts',
    'Webhook delivery attempts by outcome, across all workers (the same on every replica: aggregate with max)',
    'outcome',
  );

  readonly queueJobs = new Gauge({
    name: 'openclaw_queue_jobs',
    help: 'Jobs in each queue by state',
    labelNames: ['queue', 'state'] as const,
    registers: [this.registry],
  });

  private readonly modelSeries = new Map<string, ModelSeries>();

  constructor(private readonly redis: RedisService) {
    collectDefaultMetrics({ register: this.registry, prefix: 'openclaw_' });
    this.registry.registerMetric(rateLimitUnchecked);
  }

  /** A provider call's time until its last chunk, by model and outcome. */
  observeUpstream(model: string, outcome: string, seconds: number): void {
    const byOutcome = this.seriesOfModel(model).upstream;
    let series = byOutcome.get(outcome);
    if (!series) {
      series = histogramSeries(this.upstreamDuration, { model, outcome });
      byOutcome.set(outcome, series);
    }
    series.observe(seconds);
  }

  /** A provider call's tokens, by model and direction. */
  countTokens(model: string, usage: { input: number; output: number }): void {
    const { tokens } = this.seriesOfModel(model);
    tokens.input.inc(usage.input);
    tokens.output.inc(usage.output);
  }

  /** A usage record's call, tokens and cost, by model and provider (never by user: unbounded labels). */
  countUsage(record: UsageFigures): void {
    const { model, provider, status } = record;
    const byProvider = this.seriesOfModel(model).usage;
    let usage = byProvider.get(provider);
    if (!usage) {
      usage = {
        calls: new Map(),
        input: counterSeries(this.usageTokens, { model, provider, direction: 'input' }),
        output: counterSeries(this.usageTokens, { model, provider, direction: 'output' }),
        cost: counterSeries(this.usageCost, { model, provider }),
      };
      byProvider.set(provider, usage);
    }
    let calls = usage.calls.get(status);
    if (!calls) {
      calls = counterSeries(this.usageCalls, { model, provider, status });
      usage.calls.set(status, calls);
    }
    calls.inc();
    if (record.inputTokens > 0) usage.input.inc(record.inputTokens);
    if (record.outputTokens > 0) usage.output.inc(record.outputTokens);
    if (record.costUsd !== null) usage.cost.inc(record.costUsd);
  }

  private seriesOfModel(model: string): ModelSeries {
    let series = this.modelSeries.get(model);
    if (!series) {
      if (this.modelSeries.size >= MAX_MODEL_SERIES) this.modelSeries.clear();
      series = {
        upstream: new Map(),
        tokens: {
          input: counterSeries(this.upstreamTokens, { model, direction: 'input' }),
          output: counterSeries(this.upstreamTokens, { model, direction: 'output' }),
        },
        usage: new Map(),
      };
      this.modelSeries.set(model, series);
    }
    return series;
  }

  /** Adds `by` to a cluster-wide job counter; a Redis outage loses the count, never the job. */
  countJob(counter: JobCounter, label: string, by = 1): void {
    this.redis.client.hincrby(`metrics:${counter}`, label, by).catch(() => undefined);
  }

  private sharedCounter(counter: JobCounter, help: string, label: string): Counter {
    const redis = () => this.redis.client;
    return new Counter({
      name: `openclaw_${counter}_total`,
      help,
      labelNames: [label],
      registers: [this.registry],
      async collect() {
        const counts = await redis()
          .hgetall(`metrics:${counter}`)
          .catch(() => undefined);
        if (!counts) return;
        this.reset();
        for (const [value, n] of Object.entries(counts)) this.inc({ [label]: value }, Number(n));
      },
    });
  }

  /** Counts every request once it has ended, by the route template rather than the raw path. */
  requestEnded(req: Request, res: Response, seconds: number): void {
    const method = req.method;
    const status = res.statusCode;
    // Looked up by the route object, the method and the status, all of which hash at once: a key
    // string built per request cost more than the counting (measured, bench/results/2026-12-06-e).
    // A route matched through a mounted router (a base URL) goes by its template string instead.
    const route = req.route as object | undefined;
    const byMethod = route && req.baseUrl === '' ? this.httpSeries.get(route) : undefined;
    let series = byMethod?.get(method)?.get(status);
    if (!series) {
      series = this.seriesOf(req, method, status);
      if (route && req.baseUrl === '') {
        let methods = byMethod;
        if (!methods) this.httpSeries.set(route, (methods = new Map()));
        let statuses = methods.get(method);
        if (!statuses) methods.set(method, (statuses = new Map()));
        statuses.set(status, series);
      }
    }
    series.requests.inc();
    series.duration.observe(seconds);
  }

  private seriesOf(req: Request, method: string, status: number): HttpSeries {
    const path = req.route?.path ? String(req.route.path) : undefined;
    // A catch-all route (the console's) is no template either.
    const route = path && !path.includes('{*') ? `${req.baseUrl}${path}` : 'unmatched';
    const key = `${method} ${route} ${status}`;
    let series = this.httpSeriesByName.get(key);
    if (!series) {
      if (this.httpSeriesByName.size >= MAX_HTTP_SERIES) {
        this.httpSeriesByName.clear();
        this.httpSeries.clear();
      }
      series = {
        requests: counterSeries(this.httpRequests, { method, route, status: String(status) }),
        duration: histogramSeries(this.httpDuration, { method, route }),
      };
      this.httpSeriesByName.set(key, series);
    }
    return series;
  }
}
