import { Injectable } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The Prometheus registry and every metric the server exports, made once at boot. */
@Injectable()
export class MetricsService {
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

  readonly skillRuns = new Counter({
    name: 'openclaw_skill_runs_total',
    help: 'Finished skill runs by status',
    labelNames: ['status'] as const,
    registers: [this.registry],
  });

  readonly webhookAttempts = new Counter({
    name: 'openclaw_webhook_attempts_total',
    help: 'Webhook delivery attempts by outcome',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly queueJobs = new Gauge({
    name: 'openclaw_queue_jobs',
    help: 'Jobs in each queue by state',
    labelNames: ['queue', 'state'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'openclaw_' });
  }

  /** Counts every request once it is answered, by the route template rather than the raw path. */
  httpMiddleware() {
    return (req: Request, res: Response, next: NextFunction): void => {
      const end = this.httpDuration.startTimer();
      res.once('finish', () => {
        const route = req.route?.path ? `${req.baseUrl}${String(req.route.path)}` : 'unmatched';
        end({ method: req.method, route });
        this.httpRequests.inc({ method: req.method, route, status: String(res.statusCode) });
      });
      next();
    };
  }
}
