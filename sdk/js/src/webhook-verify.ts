import { WebhookVerificationError } from './errors.js';
import type { WebhookEvent } from './types.js';

export type WebhookHeaders =
  Headers | { get(name: string): string | null } | Record<string, string | string[] | undefined>;

export interface VerifyWebhookOptions {
  /** Seconds a delivery's `webhook-timestamp` may differ from now. Default 300 (5 minutes). */
  tolerance?: number;
  /** The time to check against (tests). Default: now. */
  now?: Date;
}

interface Subtle {
  importKey(
    format: 'raw',
    key: Uint8Array,
    algorithm: { name: 'HMAC'; hash: 'SHA-256' },
    extractable: boolean,
    usages: ['verify'],
  ): Promise<unknown>;
  verify(
    algorithm: 'HMAC',
    key: unknown,
    signature: Uint8Array,
    data: Uint8Array,
  ): Promise<boolean>;
}

/**
 * Checks that a webhook delivery comes from the server (Standard Webhooks: an HMAC-SHA256 of
 * `<webhook-id>.<webhook-timestamp>.<body>` keyed with the secret) and is recent, then returns
 * the parsed event; throws WebhookVerificationError otherwise.
 *
 * `payload` must be the raw body exactly as received (a string, or its bytes), not re-serialized
 * JSON. `headers` may be a `Headers`, or a plain object such as Node's `req.headers`. `secret` is
 * the webhook's `whsec_…` secret. Uses Web Crypto (`globalThis.crypto.subtle`), whose HMAC check
 * is constant-time, so it works in Node.js, browsers, Deno, Bun and edge runtimes.
 */
export async function verifyWebhook<T = Record<string, unknown>>(
  payload: string | Uint8Array | ArrayBuffer,
  headers: WebhookHeaders,
  secret: string,
  options: VerifyWebhookOptions = {},
): Promise<WebhookEvent<T>> {
  const id = header(headers, 'webhook-id');
  const timestamp = header(headers, 'webhook-timestamp');
  const signatures = header(headers, 'webhook-signature');
  if (!id || !timestamp || !signatures) {
    throw new WebhookVerificationError(
      'MISSING_HEADERS',
      'The webhook-id, webhook-timestamp and webhook-signature headers are required',
    );
  }

  if (!/^\d+$/.test(timestamp.trim())) {
    throw new WebhookVerificationError(
      'INVALID_TIMESTAMP',
      'webhook-timestamp is not a number of seconds',
    );
  }
  const tolerance = options.tolerance ?? 300;
  const now = Math.floor((options.now ?? new Date()).getTime() / 1000);
  if (Math.abs(now - Number(timestamp)) > tolerance) {
    throw new WebhookVerificationError(
      'TIMESTAMP_OUT_OF_TOLERANCE',
      `webhook-timestamp is more than ${tolerance} s from now`,
    );
  }

  const key = decodeBase64(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret);
  if (!key || key.length === 0) {
    throw new WebhookVerificationError(
      'INVALID_SECRET',
      'The secret is not a whsec_… base64 secret',
    );
  }

  const body = toBytes(payload);
  const prefix = new TextEncoder().encode(`${id}.${timestamp}.`);
  const signed = new Uint8Array(prefix.length + body.length);
  signed.set(prefix);
  signed.set(body, prefix.length);

  const crypto = await subtle();
  const hmacKey = await crypto.importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, [
    'verify',
  ]);
  let valid = false;
  // Several signatures (`v1,… v1,…`) are sent while a secret is being rotated: any may match.
  for (const candidate of signatures.split(' ')) {
    const [version, value] = candidate.split(',', 2);
    if (version !== 'v1' || !value) continue;
    const signature = decodeBase64(value);
    if (signature && (await crypto.verify('HMAC', hmacKey, signature, signed))) valid = true;
  }
  if (!valid) {
    throw new WebhookVerificationError('INVALID_SIGNATURE', 'No signature matches the payload');
  }

  try {
    return JSON.parse(new TextDecoder().decode(body)) as WebhookEvent<T>;
  } catch {
    throw new WebhookVerificationError('INVALID_PAYLOAD', 'The payload is not JSON');
  }
}

function header(headers: WebhookHeaders, name: string): string | undefined {
  if (typeof headers.get === 'function') {
    return (headers as { get(name: string): string | null }).get(name) ?? undefined;
  }
  const record = headers as Record<string, string | string[] | undefined>;
  const key = Object.keys(record).find((k) => k.toLowerCase() === name);
  const value = key === undefined ? undefined : record[key];
  return Array.isArray(value) ? value.join(' ') : value;
}

function toBytes(payload: string | Uint8Array | ArrayBuffer): Uint8Array {
  if (typeof payload === 'string') return new TextEncoder().encode(payload);
  // isView, not instanceof: a Buffer or Uint8Array may come from another realm.
  return ArrayBuffer.isView(payload)
    ? new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength)
    : new Uint8Array(payload);
}

function decodeBase64(value: string): Uint8Array | undefined {
  try {
    const binary = atob(value);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
  } catch {
    return undefined;
  }
}

async function subtle(): Promise<Subtle> {
  const global = (globalThis as { crypto?: { subtle?: Subtle } }).crypto;
  if (global?.subtle) return global.subtle;
  // Node.js 18 has Web Crypto only as node:crypto's `webcrypto` (no global without a flag). The
  // name is a variable so that bundlers for browsers, which have the global, leave it alone.
  const nodeCrypto = 'node:crypto';
  const mod = (await import(nodeCrypto)) as { webcrypto: { subtle: Subtle } };
  return mod.webcrypto.subtle;
}
