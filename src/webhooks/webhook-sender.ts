import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';

import { Webhook } from 'standardwebhooks';

import { resolveTarget, UnsafeUrlError } from './url-guard';

const RESPONSE_BODY_BYTES = 1024;

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

/** Standard Webhooks headers: the event id, the time of this attempt, and the signature of both with the body. */
export function signedHeaders(secret: string, eventId: string, payload: string, at = new Date()) {
  return {
    'webhook-id': eventId,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': new Webhook(secret).sign(eventId, at, payload),
  };
}

/**
 * One delivery attempt: checks the address again (DNS may have changed since the webhook was
 * saved), connects to exactly that address, follows no redirect, reads at most 1 KiB of the answer.
 */
export async function sendWebhook(opts: SendOptions): Promise<SendResult> {
  const started = Date.now();
  const done = (r: Omit<SendResult, 'durationMs'>): SendResult => ({
    ...r,
    durationMs: Date.now() - started,
  });
  let target;
  try {
    target = await resolveTarget(opts.url, opts.allowPrivate);
  } catch (err) {
    const message =
      err instanceof UnsafeUrlError ? `refused: ${err.message}` : (err as Error).message;
    return done({ success: false, statusCode: null, error: message, responseBody: null });
  }
  const pinned: LookupFunction = (_host, options, callback) => {
    if ((options as { all?: boolean }).all) {
      (callback as (e: null, a: { address: string; family: number }[]) => void)(null, [
        { address: target.address, family: target.family },
      ]);
    } else {
      callback(null, target.address, target.family);
    }
  };
  const request = target.url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<SendResult>((resolve) => {
    const req = request(
      target.url,
      {
        method: 'POST',
        lookup: pinned,
        headers: {
          'Content-Type': 'application/json',
          'User-Agent': 'OpenClaw-Webhooks/1',
          ...signedHeaders(opts.secret, opts.eventId, opts.payload),
        },
        signal: AbortSignal.timeout(opts.timeoutMs),
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        const finish = () => {
          const status = res.statusCode ?? 0;
          resolve(
            done({
              success: status >= 200 && status < 300,
              statusCode: status,
              error: status >= 200 && status < 300 ? null : `HTTP ${status}`,
              responseBody: Buffer.concat(chunks).subarray(0, RESPONSE_BODY_BYTES).toString('utf8'),
            }),
          );
          res.destroy();
        };
        res.on('data', (chunk: Buffer) => {
          chunks.push(chunk);
          size += chunk.length;
          if (size >= RESPONSE_BODY_BYTES) finish();
        });
        res.on('end', finish);
        res.on('error', finish);
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) => {
      const timedOut = err.name === 'AbortError' || err.name === 'TimeoutError';
      resolve(
        done({
          success: false,
          statusCode: null,
          error: timedOut ? `timed out after ${opts.timeoutMs} ms` : (err.code ?? err.message),
          responseBody: null,
        }),
      );
    });
    req.end(opts.payload);
  });
}
