/** The public API at /api/v1, with the JWT held in memory and in sessionStorage (never localStorage). */
const BASE = '/api/v1';
const TOKEN_KEY = 'openclaw.token';

let token: string | null = sessionStorage.getItem(TOKEN_KEY);
let onUnauthorized: (() => void) | null = null;

export function getToken(): string | null {
  return token;
}

export function setToken(next: string | null): void {
  token = next;
  if (next) sessionStorage.setItem(TOKEN_KEY, next);
  else sessionStorage.removeItem(TOKEN_KEY);
}

/** Called when an authenticated call answers 401: the session ended, so the console returns to sign-in. */
export function setUnauthorizedHandler(handler: (() => void) | null): void {
  onUnauthorized = handler;
}

/** An error answer of the API: `{"error": {"code", "message", "details"}}` with its status. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
    readonly retryAfterSeconds: number | null = null,
  ) {
    super(message);
  }

  /** The field errors of a VALIDATION_ERROR, when the API listed them. */
  get fields(): { field: string; message: string }[] {
    const fields = this.details.fields;
    return Array.isArray(fields) ? (fields as { field: string; message: string }[]) : [];
  }
}

export type Query = Record<string, string | number | boolean | null | undefined>;

export function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v !== undefined && v !== null && v !== '') params.set(k, String(v));
  }
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

async function toApiError(res: Response): Promise<ApiError> {
  const retry = res.headers.get('retry-after');
  const retryAfter = retry !== null && /^\d+$/.test(retry) ? Number(retry) : null;
  let body: unknown = null;
  try {
    body = await res.json();
  } catch {
    // Not JSON (a proxy's page): the status alone says what happened.
  }
  const error = (body as { error?: { code?: string; message?: string; details?: object } } | null)
    ?.error;
  return new ApiError(
    res.status,
    error?.code ?? `HTTP_${res.status}`,
    error?.message ?? (res.statusText || 'The server answered with an error'),
    (error?.details as Record<string, unknown>) ?? {},
    retryAfter,
  );
}

export interface RequestOptions {
  query?: Query;
  /** A path outside /api/v1 (the OpenAI-compatible /v1, /health, /metrics). */
  root?: boolean;
  /** Replaces the signed-in user's token (the METRICS_TOKEN of /metrics). */
  token?: string;
  body?: unknown;
  signal?: AbortSignal;
}

/** A fetch of the API; throws ApiError for an error answer, so callers only see data. */
export async function request(
  method: string,
  path: string,
  options: RequestOptions = {},
): Promise<Response> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const sent = options.token ?? token;
  if (sent) headers.authorization = `Bearer ${sent}`;
  let res: Response;
  try {
    res = await fetch(withQuery(`${options.root ? '' : BASE}${path}`, options.query), {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: options.signal,
    });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError(0, 'NETWORK_ERROR', 'The server could not be reached');
  }
  if (!res.ok) {
    const error = await toApiError(res);
    if (res.status === 401 && sent && options.token === undefined) {
      setToken(null);
      onUnauthorized?.();
    }
    throw error;
  }
  return res;
}

export async function api<T>(method: string, path: string, options?: RequestOptions): Promise<T> {
  const res = await request(method, path, options);
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

export const get = <T>(path: string, query?: Query) => api<T>('GET', path, { query });
export const post = <T>(path: string, body?: unknown, query?: Query) =>
  api<T>('POST', path, { body: body ?? {}, query });
export const patch = <T>(path: string, body: unknown) => api<T>('PATCH', path, { body });
export const del = (path: string) => api<void>('DELETE', path);
