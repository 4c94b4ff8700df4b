import type { IncomingMessage, ServerResponse } from 'node:http';

import { type DynamicModule, RequestMethod } from '@nestjs/common';
import type { Request, Response } from 'express';
import { LoggerModule } from 'nestjs-pino';
import { type Level, stdTimeFunctions } from 'pino';

import type { Env } from '../env/env';

interface SerializedRequest {
  id: string;
  method: string;
  url: string;
  remoteAddress?: string;
}

/** LOG_LEVEL speaks Nest's names; pino calls the lowest one `trace`. */
const PINO_LEVELS: Record<string, Level> = {
  fatal: 'fatal',
  error: 'error',
  warn: 'warn',
  info: 'info',
  debug: 'debug',
  verbose: 'trace',
};

/** Probes and scrapes arrive every few seconds; logging them would drown the requests that matter. */
const QUIET_PATHS = /^\/(health\/(live|ready)|metrics)(\?|$)/;

/**
 * Defence in depth: the serializers below never copy headers or bodies into a log line, and these
 * paths are censored should any log call pass such an object anyway.
 */
const REDACT = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  '*.password',
  '*.current_password',
  '*.new_password',
  '*.api_key',
  '*.apiKey',
  '*.key',
  '*.secret',
  '*.token',
  '*.access_token',
  '*.authorization',
  '*.body',
  '*.content',
];

/** One JSON line per event on stdout, each carrying the request id of the request it belongs to. */
export function loggingModule(env: Env): DynamicModule {
  return LoggerModule.forRoot({
    // Nest 11's path syntax; the default '*' draws a deprecation warning on every start.
    forRoutes: [{ path: '{*path}', method: RequestMethod.ALL }],
    pinoHttp: {
      timestamp: stdTimeFunctions.isoTime,
      level: PINO_LEVELS[env.LOG_LEVEL],
      base: { service: 'openclaw', role: env.ROLE },
      redact: { paths: REDACT, censor: '[redacted]' },
      // The request-id middleware runs first and has already chosen the id the caller sees.
      genReqId: (req: IncomingMessage) => (req as Request).id,
      autoLogging: { ignore: (req: IncomingMessage) => QUIET_PATHS.test(req.url ?? '') },
      customLogLevel: (_req, res, err) =>
        err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
      customSuccessMessage: (req, res, ms) =>
        `${req.method} ${(req as Request).originalUrl} ${res.statusCode} ${Math.round(ms)}ms`,
      customErrorMessage: (req, res) =>
        `${req.method} ${(req as Request).originalUrl} ${res.statusCode}`,
      // pino-http invents an Error (with a stack of its own frames) for every 5xx; the exception
      // filter has already logged the real cause under the same request id.
      customErrorObject: (_req, _res, _err, { err: _invented, ...line }: Record<string, unknown>) =>
        line,
      // Nothing (rather than {}) when there is no caller yet, which spares pino-http a child logger.
      customProps: ((req: IncomingMessage, res: ServerResponse) => {
        const user = (req as Request).user;
        const errCode = (res as Response).locals?.errCode as string | undefined;
        if (!user && !errCode) return undefined;
        return {
          ...(user && { user_id: user.userId, auth: user.via }),
          ...(errCode && { err_code: errCode }),
        };
      }) as (req: IncomingMessage, res: ServerResponse) => Record<string, string>,
      // Wrapped serializers receive pino's own summary of the request; keep none of its headers.
      serializers: {
        req: (req: SerializedRequest) => ({
          id: req.id,
          method: req.method,
          url: req.url,
          remote_address: req.remoteAddress,
        }),
        res: (res: { statusCode: number }) => ({ status: res.statusCode }),
      },
    },
  });
}
