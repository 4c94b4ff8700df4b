import { randomUUID } from 'node:crypto';
import { createServer, IncomingMessage, ServerResponse, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';

import type { NestApplicationOptions } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import type { Express, Response } from 'express';

import { ErrorCode } from '../errors/error-code';
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

/** What HTTP a client sent wrong, before any route: status, code and message of its answer. */
function clientProblem(code: string | undefined): [number, ErrorCode, string] {
  if (code === 'HPE_HEADER_OVERFLOW')
    return [431, ErrorCode.PAYLOAD_TOO_LARGE, "The request's headers are too large"];
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT')
    return [408, ErrorCode.VALIDATION_ERROR, 'The request did not arrive in time'];
  return [400, ErrorCode.VALIDATION_ERROR, 'The request is not valid HTTP'];
}

/**
 * A request Node's parser refused never reaches the app: it is answered here, as Node would, but
 * in the error envelope and with an X-Request-Id (SPEC §3: every response carries one).
 */
function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  const inFlight = (socket as Duplex & { _httpMessage?: ServerResponse })._httpMessage;
  if (err.code !== 'ECONNRESET' && socket.writable && !inFlight?.headersSent) {
    const [status, code, message] = clientProblem(err.code);
    const body = JSON.stringify({ error: { code, message, details: {} } });
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
        'Content-Type: application/json; charset=utf-8\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        `X-Request-Id: ${randomUUID()}\r\n` +
        'Connection: close\r\n\r\n' +
        body,
    );
  }
  socket.destroy(err);
}

/**
 * Nest's Express adapter, with these changes on every request's path:
 *
 * - The HTTP server builds its requests and responses on Express's own prototypes. Express
 *   otherwise sets each one's prototype as it arrives (`Object.setPrototypeOf`), and V8 then keeps
 *   the request's objects through young-generation collections: at one connection about 20 KiB a
 *   request went to the old generation, which grew to hundreds of MiB between full collections
 *   (bench/results/analysis.md). With the prototype already in place Express's call changes nothing.
 * - A handler's object is answered by `sendJson`.
 * - A request Node's parser refuses is answered in the error envelope (answerClientError).
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
    this.httpServer.on('clientError', answerClientError);
  }

  override reply(response: Response, body: unknown, statusCode?: number): unknown {
    return sendJson(response, body, statusCode)
      ? response
      : super.reply(response, body, statusCode);
  }
}
