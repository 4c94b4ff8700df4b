import { createServer, IncomingMessage, ServerResponse } from 'node:http';

import type { NestApplicationOptions } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import type { Express, Response } from 'express';

import { sendJson } from './json-replies';

/** A constructor Node's HTTP server can use for its requests or responses: `base`'s, on `prototype`. */
function builtOn<T extends typeof IncomingMessage | typeof ServerResponse>(
  base: T,
  prototype: object,
): T {
  function Built(this: object, ...args: unknown[]) {
    (base as unknown as (...a: unknown[]) => void).apply(this, args);
  }
  Built.prototype = prototype;
  return Built as unknown as T;
}

/**
 * Nest's Express adapter, with two changes on every request's path:
 *
 * - The HTTP server builds its requests and responses on Express's own prototypes. Express
 *   otherwise sets each one's prototype as it arrives (`Object.setPrototypeOf`), and V8 then keeps
 *   the request's objects through young-generation collections: at one connection about 20 KiB a
 *   request went to the old generation, which grew to hundreds of MiB between full collections
 *   (bench/results/analysis.md). With the prototype already in place Express's call changes nothing.
 * - A handler's object is answered by `sendJson`.
 */
export class AppHttpAdapter extends ExpressAdapter {
  override initHttpServer(options: NestApplicationOptions): void {
    // HTTPS and the connection tracking of forceCloseConnections stay Nest's (neither is used here).
    if (options?.httpsOptions || options?.forceCloseConnections) {
      return super.initHttpServer(options);
    }
    const app = this.getInstance<Express>();
    this.httpServer = createServer(
      {
        IncomingMessage: builtOn(IncomingMessage, app.request),
        ServerResponse: builtOn(ServerResponse, app.response),
      },
      app,
    );
  }

  override reply(response: Response, body: unknown, statusCode?: number): unknown {
    return sendJson(response, body, statusCode)
      ? response
      : super.reply(response, body, statusCode);
  }
}
