import { Readable } from 'node:stream';

import { Dispatcher, request } from 'undici';

type Fetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

function requestHeaders(headers: RequestInit['headers']): Record<string, string> | undefined {
  if (!headers) return undefined;
  if (headers instanceof Headers) return Object.fromEntries(headers);
  if (Array.isArray(headers)) return Object.fromEntries(headers);
  return headers as Record<string, string>;
}

function responseHeaders(
  headers: Record<string, string | string[] | undefined>,
): [string, string][] {
  const pairs: [string, string][] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (Array.isArray(value)) for (const v of value) pairs.push([name, v]);
    else if (value !== undefined) pairs.push([name, value]);
  }
  return pairs;
}

/**
 * `fetch` for the provider client on undici's own request API and a keep-alive pool: the
 * global fetch costs about twice the CPU per call. JSON answers are read whole (one buffer, no
 * web stream); event streams are passed on as they arrive, chunk by chunk.
 */
export function providerFetch(dispatcher: Dispatcher): Fetch {
  return async (input, init = {}) => {
    const url = typeof input === 'string' || input instanceof URL ? input : input.url;
    const res = await request(url, {
      method: (init.method ?? 'GET') as Dispatcher.HttpMethod,
      headers: requestHeaders(init.headers),
      body: init.body as string | Buffer | null | undefined,
      signal: init.signal ?? undefined,
      dispatcher,
    });
    const contentType = String(res.headers['content-type'] ?? '');
    const empty = res.statusCode === 204 || res.statusCode === 304;
    const body = empty
      ? null
      : contentType.includes('text/event-stream')
        ? (Readable.toWeb(res.body) as ReadableStream<Uint8Array>)
        : Buffer.from(await res.body.arrayBuffer());
    if (empty) res.body.resume();
    return new Response(body, { status: res.statusCode, headers: responseHeaders(res.headers) });
  };
}
