import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';

import type { INestApplicationContext } from '@nestjs/common';
import { UnknownElementException } from '@nestjs/core/errors/exceptions/unknown-element.exception';
import type { NextFunction, Request, Response } from 'express';
import type { Logger as Pino } from 'pino';

import type { SecurityHeaders } from './security-headers';

/** Told of every request once its connection is done with it, unknown routes and refusals included. */
export interface RequestObserver {
  requestEnded(req: Request, res: Response, seconds: number): void;
}

/** Lets a request in, or answers it itself (the server is stopping); every request entered leaves once. */
export interface RequestGate {
  enter(req: Request, res: Response): boolean;
  leave(): void;
}

/** A feature's RequestObserver (the HTTP metrics): a module provides it under this token. */
export const REQUEST_OBSERVER = Symbol('REQUEST_OBSERVER');

/** Every REQUEST_OBSERVER provided by any module, in module order; none when no module provides one. */
export function requestObservers(app: INestApplicationContext): RequestObserver[] {
  try {
    return app.get<symbol, RequestObserver>(REQUEST_OBSERVER, { strict: false, each: true });
  } catch (err) {
    if (err instanceof UnknownElementException) return [];
    throw err;
  }
}

const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Probes and scrapes arrive every few seconds; logging them would drown the requests that matter. */
const QUIET_PATHS = /^\/(health\/(live|ready)|metrics)(\?|$)/;

export interface RequestPipelineParts {
  logger: Pino;
  observers: RequestObserver[];
  /** The shutdown's count of requests in flight, and its refusal once stopping. */
  gate: RequestGate;
  /** Set on every response, before anything can answer it. */
  headers: SecurityHeaders;
}

/**
 * The first middleware: chooses the request id the caller sees (a well-formed X-Request-Id is
 * echoed), sets the security headers, passes the request through the gate, and when the response
 * is done writes the request's one log line and tells the observers. One middleware and one
 * listener per request instead of one each for id, headers, gate, log and metrics: each was an
 * Express layer or a listener that every request paid for. The line is built only when its level
 * is enabled.
 */
export function requestPipeline({
  logger,
  observers,
  gate,
  headers,
}: RequestPipelineParts): (req: Request, res: Response, next: NextFunction) => void {
  function ended(this: Response): void {
    gate.leave();
    const req = this.req;
    const ms = performance.now() - req.receivedAt;
    for (const observer of observers) observer.requestEnded(req, this, ms / 1000);
    const status = this.statusCode;
    const level = status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info';
    if (!logger.isLevelEnabled(level) || QUIET_PATHS.test(req.originalUrl)) return;
    const user = req.user;
    const errCode = this.locals.errCode as string | undefined;
    logger[level](
      {
        req: {
          id: req.id,
          method: req.method,
          url: req.originalUrl,
          remote_address: req.socket.remoteAddress,
        },
        ...(user && { user_id: user.userId, auth: user.via }),
        ...(errCode && { err_code: errCode }),
        res: { status },
        responseTime: Math.round(ms),
      },
      status >= 500
        ? `${req.method} ${req.originalUrl} ${status}`
        : `${req.method} ${req.originalUrl} ${status} ${Math.round(ms)}ms`,
    );
  }

  return (req, res, next) => {
    req.receivedAt = performance.now();
    const given = req.headers['x-request-id'];
    req.id = typeof given === 'string' && SAFE_ID.test(given) ? given : randomUUID();
    res.setHeader('X-Request-Id', req.id);
    for (let i = 0; i < headers.length; i++) res.setHeader(headers[i][0], headers[i][1]);
    // 'close' comes once, whether the answer was sent or the client left first.
    res.on('close', ended);
    if (gate.enter(req, res)) next();
  };
}
