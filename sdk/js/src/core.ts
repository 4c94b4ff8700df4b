import { OpenClawError, readEnvelope } from './errors.js';

export const DEFAULT_BASE_URL = 'http://localhost:3000/api/v1';
/** Above the server's own 60 s upstream timeout (and its retries), so a slow model is not cut off. */
export const DEFAULT_TIMEOUT_MS = 10 * 60 * 1000;
export const DEFAULT_MAX_RETRIES = 2;
/** A `Retry-After` longer than this is not waited for: the error is thrown at once. */
export const MAX_RETRY_AFTER_MS = 60 * 1000;

export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

/** Options of every method, overriding the client's for one call. */
export interface RequestOptions {
  /** Milliseconds before an attempt is given up (a stream: without any data). */
  timeout?: number;
  /** Aborts the call (and a stream being read); it then throws OpenClawError `ABORTED`. */
  signal?: AbortSignal;
  /** Retries of this call; see the README for what is retried. */
  maxRetries?: number;
  /** Extra request headers, e.g. your own `X-Request-Id`. */
  headers?: Record<string, string>;
}

export type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';
export type Query = Record<string, string | number | boolean | undefined>;

export interface ApiRequest {
  method: Method;
  path: string;
  query?: Query;
  body?: unknown;
  options?: RequestOptions;
  accept?: string;
}

export interface TransportOptions {
  apiKey: string | undefined;
  baseURL: string;
  timeout: number;
  maxRetries: number;
  fetch: FetchLike;
  defaultHeaders: Record<string, string>;
}

/**
 * One attempt's abort controller: the caller's signal and the timeout both abort it, and it
 * remembers which did, so the failure gets the right code. `arm()` restarts the timeout, which
 * makes it an idle timeout while a stream is read.
 */
export class Attempt {
  readonly controller = new AbortController();
  private reason: 'timeout' | 'aborted' | 'closed' | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly onAbort = () => this.abort('aborted');

  constructor(
    private readonly timeoutMs: number,
    private readonly signal: AbortSignal | undefined,
  ) {
    if (signal?.aborted) this.abort('aborted');
    else signal?.addEventListener('abort', this.onAbort, { once: true });
    this.arm();
  }

  arm(): void {
    clearTimeout(this.timer);
    if (this.reason === undefined) {
      this.timer = setTimeout(() => this.abort('timeout'), this.timeoutMs);
    }
  }

  abort(reason: 'timeout' | 'aborted' | 'closed'): void {
    this.reason ??= reason;
    clearTimeout(this.timer);
    this.controller.abort();
  }

  finish(): void {
    clearTimeout(this.timer);
    this.signal?.removeEventListener('abort', this.onAbort);
  }

  /** The OpenClawError for a failure of fetch or of reading the body. */
  error(cause: unknown, requestId?: string): OpenClawError {
    if (cause instanceof OpenClawError) return cause;
    if (this.reason === 'timeout') {
      return new OpenClawError({
        code: 'TIMEOUT',
        message: `No answer within ${this.timeoutMs} ms`,
        requestId,
        cause,
      });
    }
    if (this.reason === 'aborted' || this.reason === 'closed') {
      return new OpenClawError({
        code: 'ABORTED',
        message: 'The request was aborted',
        requestId,
        cause,
      });
    }
    const detail = causeMessage(cause);
    return new OpenClawError({
      code: 'CONNECTION_ERROR',
      message: `Could not reach the OpenClaw API${detail ? `: ${detail}` : ''}`,
      requestId,
      cause,
    });
  }

  get timedOut(): boolean {
    return this.reason === 'timeout';
  }
}

export interface OpenResponse {
  response: Response;
  attempt: Attempt;
}

/** Sends requests with the client's key, timeouts and retries, and turns failures into OpenClawError. */
export class Transport {
  constructor(readonly options: TransportOptions) {}

  async request<T>(req: ApiRequest): Promise<T> {
    const { response, attempt } = await this.open(req);
    try {
      const requestId = response.headers.get('x-request-id') ?? undefined;
      let text: string;
      try {
        text = await response.text();
      } catch (err) {
        throw attempt.error(err, requestId);
      }
      if (response.status === 204 || text === '') return undefined as T;
      try {
        return JSON.parse(text) as T;
      } catch {
        throw new OpenClawError({
          code: 'INVALID_RESPONSE',
          message: `The API answered ${response.status} with a body that is not JSON`,
          status: response.status,
          requestId,
          headers: response.headers,
        });
      }
    } finally {
      attempt.finish();
    }
  }

  /**
   * Sends the request, retrying as the README says, until a 2xx answer whose body is left unread
   * (the caller reads it and then calls `attempt.finish()`), or throws.
   */
  async open(req: ApiRequest): Promise<OpenResponse> {
    const opts = req.options ?? {};
    const maxRetries = opts.maxRetries ?? this.options.maxRetries;
    const timeout = opts.timeout ?? this.options.timeout;
    const url = this.url(req.path, req.query);
    const init: RequestInit = {
      method: req.method,
      headers: this.headers(req),
      body: req.body === undefined ? undefined : JSON.stringify(req.body),
    };

    for (let retry = 0; ; retry++) {
      const attempt = new Attempt(timeout, opts.signal);
      let response: Response;
      try {
        response = await this.options.fetch(url, { ...init, signal: attempt.controller.signal });
      } catch (err) {
        attempt.finish();
        const error = attempt.error(err);
        if (retry < maxRetries && retriableFailure(req.method, error, err)) {
          await sleep(backoffMs(retry), opts.signal);
          continue;
        }
        throw error;
      }
      if (response.ok) return { response, attempt };

      let error: OpenClawError;
      try {
        error = await errorFromResponse(response);
      } catch (err) {
        throw attempt.error(err, response.headers.get('x-request-id') ?? undefined);
      } finally {
        attempt.finish();
      }
      if (retry < maxRetries && retriableStatus(req.method, response.status)) {
        const delay = retryDelayMs(response.headers, retry);
        if (delay !== undefined) {
          await sleep(delay, opts.signal);
          continue;
        }
      }
      throw error;
    }
  }

  private url(path: string, query: Query | undefined): string {
    let url = `${this.options.baseURL}${path}`;
    if (query) {
      const params = new URLSearchParams();
      for (const [key, value] of Object.entries(query)) {
        if (value !== undefined) params.set(key, String(value));
      }
      const qs = params.toString();
      if (qs) url += `?${qs}`;
    }
    return url;
  }

  private headers(req: ApiRequest): Record<string, string> {
    const headers: Record<string, string> = {
      Accept: req.accept ?? 'application/json',
      ...this.options.defaultHeaders,
    };
    if (this.options.apiKey) headers.Authorization = `Bearer ${this.options.apiKey}`;
    if (req.body !== undefined) headers['Content-Type'] = 'application/json';
    return { ...headers, ...req.options?.headers };
  }
}

async function errorFromResponse(response: Response): Promise<OpenClawError> {
  const requestId = response.headers.get('x-request-id') ?? undefined;
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const envelope = readEnvelope(body);
  if (envelope) {
    return new OpenClawError({
      ...envelope,
      status: response.status,
      requestId,
      headers: response.headers,
    });
  }
  return new OpenClawError({
    code: 'HTTP_ERROR',
    message: `The API answered ${response.status} ${response.statusText}`.trim(),
    status: response.status,
    requestId,
    headers: response.headers,
  });
}

// What is retried (README "Retries"). 429 and 503 mean the server refused before acting (rate
// limit, shutting down, database or Redis unreachable), so any request may be sent again. Other
// 5xx answers, timeouts and broken connections may come after the server acted, so only methods
// that are safe to repeat (GET, PATCH, DELETE: every PATCH here sets fields) are retried then; a
// POST only when its connection was never made.
const IDEMPOTENT = new Set<Method>(['GET', 'PATCH', 'DELETE']);
const NOT_CONNECTED = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

export function retriableStatus(method: Method, status: number): boolean {
  if (status === 429 || status === 503) return true;
  return status >= 500 && IDEMPOTENT.has(method);
}

function retriableFailure(method: Method, error: OpenClawError, cause: unknown): boolean {
  if (error.code === 'ABORTED') return false;
  if (IDEMPOTENT.has(method)) return true;
  return error.code === 'CONNECTION_ERROR' && errorCodes(cause).some((c) => NOT_CONNECTED.has(c));
}

/** The `code`s along an error's cause chain (undici puts the socket's error in `cause`). */
function errorCodes(err: unknown, depth = 0): string[] {
  if (typeof err !== 'object' || err === null || depth > 5) return [];
  const e = err as { code?: unknown; cause?: unknown; errors?: unknown };
  const codes = typeof e.code === 'string' ? [e.code] : [];
  codes.push(...errorCodes(e.cause, depth + 1));
  if (Array.isArray(e.errors))
    for (const inner of e.errors) codes.push(...errorCodes(inner, depth + 1));
  return codes;
}

function causeMessage(err: unknown): string {
  // Duck-typed: errors from another realm (a VM context, an iframe) are not `instanceof Error`.
  const parts: string[] = [];
  for (let e = err, i = 0; typeof e === 'object' && e !== null && i < 5; i++) {
    const { message, code, cause } = e as { message?: unknown; code?: unknown; cause?: unknown };
    if (typeof message === 'string' && message) {
      parts.push(
        typeof code === 'string' && !message.includes(code) ? `${message} (${code})` : message,
      );
    }
    e = cause;
  }
  return parts.join(': ');
}

/** `Retry-After` (seconds or an HTTP date) when present and not too long, else exponential backoff. */
export function retryDelayMs(headers: Headers, retry: number): number | undefined {
  const value = headers.get('retry-after');
  if (value === null) return backoffMs(retry);
  const trimmed = value.trim();
  let ms = /^\d+(\.\d+)?$/.test(trimmed)
    ? Number(trimmed) * 1000
    : Date.parse(trimmed) - Date.now();
  if (Number.isNaN(ms)) return backoffMs(retry);
  ms = Math.max(0, ms);
  return ms <= MAX_RETRY_AFTER_MS ? ms : undefined;
}

/** 0.5 s, 1 s, 2 s, … up to 8 s, less up to 25 % of random jitter so clients do not retry in step. */
export function backoffMs(retry: number): number {
  return Math.min(500 * 2 ** retry, 8000) * (1 - Math.random() * 0.25);
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const aborted = () =>
      new OpenClawError({ code: 'ABORTED', message: 'The request was aborted' });
    if (signal?.aborted) return reject(aborted());
    const onAbort = () => {
      clearTimeout(timer);
      reject(aborted());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export function encodePath(strings: TemplateStringsArray, ...values: string[]): string {
  return strings.reduce(
    (path, part, i) => path + part + (i < values.length ? encodeURIComponent(values[i]) : ''),
    '',
  );
}
