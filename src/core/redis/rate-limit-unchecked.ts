import type { Logger } from '@nestjs/common';
import { Counter } from 'prom-client';

const LOG_EVERY_MS = 5000;

/** Requests let through unchecked while Redis was unreachable (registered by MetricsService). */
export const rateLimitUnchecked = new Counter({
  name: 'openclaw_rate_limit_unchecked_total',
  help: 'Requests let through without a rate-limit check because Redis was unreachable',
  registers: [],
});

let lastLogAt = 0;
let sinceLog = 0;

/**
 * The general rate limit fails open (SPEC §11): Redis trouble must not take the API down with it.
 * Counted in a metric; logged at most every few seconds, however many requests go through.
 */
export function recordUncheckedRequest(logger: Logger, err: Error): void {
  rateLimitUnchecked.inc();
  sinceLog++;
  const now = Date.now();
  if (now - lastLogAt < LOG_EVERY_MS) return;
  logger.warn(
    `Rate limit not checked for ${sinceLog} request(s), Redis unreachable: ${err.message}`,
  );
  lastLogAt = now;
  sinceLog = 0;
}
