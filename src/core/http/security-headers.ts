import type { IncomingMessage, ServerResponse } from 'node:http';

import helmet, { type HelmetOptions } from 'helmet';

export type SecurityHeaders = ReadonlyArray<readonly [name: string, value: string]>;

/**
 * Helmet's headers for `options`, read once at boot and set by the request pipeline. Used as a
 * middleware, helmet is twelve Express layers that every request walks through to set the same
 * values each time; with no directive computed per request (no CSP nonce function) nothing in them
 * depends on the request, and this throws if helmet ever needs one.
 */
export function securityHeaders(options: HelmetOptions): SecurityHeaders {
  const headers: [string, string][] = [];
  const res = {
    setHeader(name: string, value: unknown) {
      if (typeof value !== 'string') throw new Error(`helmet set ${name} to a non-string value`);
      headers.push([name, value]);
    },
    // X-Powered-By: Express's own, switched off in configureApp.
    removeHeader() {},
  };
  const unread = (what: string) =>
    new Proxy(what === 'response' ? res : {}, {
      get(target, key) {
        if (Object.hasOwn(target, key)) return target[key as keyof typeof target];
        throw new Error(`helmet read the ${what}'s ${String(key)}: its headers are not static`);
      },
    });
  let done = false;
  helmet(options)(
    unread('request') as IncomingMessage,
    unread('response') as unknown as ServerResponse,
    (err?: unknown) => {
      if (err) throw err;
      done = true;
    },
  );
  if (!done) throw new Error('helmet did not set its headers at once');
  return headers;
}
