import { createHmac } from 'node:crypto';
import type { LookupFunction } from 'node:net';

import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { Pool } from 'undici';

import { Cancellation } from '../core/http/cancellation';
import { ResolvedTarget, resolveTarget, UnsafeUrlError } from './url-guard';

const RESPONSE_BODY_BYTES = 1024;
// Receivers kept connected at once; past it the least recently used one's connections close.
const MAX_POOLS = 256;
// Connections per receiver: a drain at WEBHOOK_CONCURRENCY to one host needs about that many.
const CONNECTIONS_PER_POOL = 64;
const IDLE_KEEP_ALIVE_MS = 4_000;

export interface SendResult {
  success: boolean;
  statusCode: number | null;
  durationMs: number;
  error: string | null;
  responseBody: string | null;
}

export interface SendOptions {
  url: string;
  secret: string;
  eventId: string;
  payload: string;
  timeoutMs: number;
  allowPrivate: boolean;
}

/**
 * Standard Webhooks headers: the event id, the time of this attempt, and the signature of both
 * with the body (`v1,` and the base64 HMAC-SHA256 of "id.timestamp.body", keyed with the bytes of
 * the secret after `whsec_`). Signed with node:crypto rather than the standardwebhooks library,
 * whose pure-JS SHA-256 took 23 µs a signature against 5 µs (4 % of a delivery's CPU); receivers
 * verify it with that library all the same.
 */
export function signedHeaders(secret: string, eventId: string, payload: string, at = new Date()) {
  const timestamp = String(Math.floor(at.getTime() / 1000));
  const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice(6) : secret, 'base64');
  const signature = createHmac('sha256', key)
    .update(`${eventId}.${timestamp}.`)
    .update(payload)
    .digest('base64');
  return {
    'webhook-id': eventId,
    'webhook-timestamp': timestamp,
    'webhook-signature': `v1,${signature}`,
  };
}

function abortCancellation(cancellation: Cancellation): void {
  cancellation.abort();
}

/** Every lookup of a pool's connections answers the one address the guard accepted. */
function pinnedTo(address: string, family: 4 | 6): LookupFunction {
  return (_host, options, callback) => {
    if ((options as { all?: boolean }).all) {
      (callback as (e: null, a: { address: string; family: number }[]) => void)(null, [
        { address, family },
      ]);
    } else {
      callback(null, address, family);
    }
  };
}

/**
 * Sends delivery attempts over keep-alive connections, one pool per receiver origin and checked
 * address: a connection (new or reused) only ever goes to an address the URL guard accepted,
 * and a name that now resolves elsewhere gets a pool of its own.
 */
@Injectable()
export class WebhookSender implements OnApplicationShutdown {
  private readonly pools = new Map<string, Pool>();

  /**
   * One delivery attempt: checks the address again (DNS may have changed since the webhook was
   * saved), connects to exactly that address, follows no redirect, reads at most 1 KiB of the answer.
   */
  async send(opts: SendOptions): Promise<SendResult> {
    const started = Date.now();
    const done = (r: Omit<SendResult, 'durationMs'>): SendResult => ({
      durationMs: Date.now() - started,
      ...r,
    });
    let target: ResolvedTarget;
    try {
      target = await resolveTarget(opts.url, opts.allowPrivate);
    } catch (err) {
      const message =
        err instanceof UnsafeUrlError ? `refused: ${err.message}` : (err as Error).message;
      return done({ success: false, statusCode: null, error: message, responseBody: null });
    }
    // The whole attempt, its answer's body included, within the timeout. Not AbortSignal.timeout:
    // its signal, timer and weak references took 4 % of a delivery's CPU (bench/results/2026-12-06-f.md).
    const timeout = new Cancellation();
    const timer = setTimeout(abortCancellation, opts.timeoutMs, timeout);
    try {
      const res = await this.poolFor(target).request({
        method: 'POST',
        path: target.url.pathname + target.url.search,
        headers: {
          'content-type': 'application/json',
          'user-agent': 'OpenClaw-Webhooks/1',
          ...signedHeaders(opts.secret, opts.eventId, opts.payload),
        },
        body: opts.payload,
        signal: timeout,
      });
      const status = res.statusCode;
      const success = status >= 200 && status < 300;
      const chunks: Buffer[] = [];
      let size = 0;
      try {
        for await (const chunk of res.body as AsyncIterable<Buffer>) {
          chunks.push(chunk);
          size += chunk.length;
          // The rest is never read: this connection closes instead of going back to the pool.
          if (size >= RESPONSE_BODY_BYTES) break;
        }
      } catch {
        // The status decided the outcome; what arrived of the body is kept.
      }
      return done({
        success,
        statusCode: status,
        error: success ? null : `HTTP ${status}`,
        responseBody: Buffer.concat(chunks).subarray(0, RESPONSE_BODY_BYTES).toString('utf8'),
      });
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      return done({
        success: false,
        statusCode: null,
        error: timeout.aborted ? `timed out after ${opts.timeoutMs} ms` : (e.code ?? e.message),
        responseBody: null,
      });
    } finally {
      clearTimeout(timer);
    }
  }

  private poolFor(target: ResolvedTarget): Pool {
    const key = `${target.url.origin} ${target.address}`;
    let pool = this.pools.get(key);
    if (pool) {
      // Most recently used last, so the first is the one to close when there are too many.
      this.pools.delete(key);
    } else {
      pool = new Pool(target.url.origin, {
        connections: CONNECTIONS_PER_POOL,
        keepAliveTimeout: IDLE_KEEP_ALIVE_MS,
        connect: { lookup: pinnedTo(target.address, target.family) },
      });
      if (this.pools.size >= MAX_POOLS) {
        const [oldest, old] = this.pools.entries().next().value as [string, Pool];
        this.pools.delete(oldest);
        // Its requests in flight finish first.
        void old.close().catch(() => undefined);
      }
    }
    this.pools.set(key, pool);
    return pool;
  }

  async onApplicationShutdown(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    // Attempts still in flight finish (the deliveries worker waits for them).
    await Promise.all(pools.map((p) => p.close().catch(() => undefined)));
  }
}
