import { type DynamicModule, Global, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { type Level, type Logger as Pino, pino, stdTimeFunctions } from 'pino';

import type { Env } from '../env/env';

/** The one pino instance: Nest's loggers write through it, and so does each request's line. */
export const APP_LOGGER = Symbol('APP_LOGGER');

/** LOG_LEVEL speaks Nest's names; pino calls the lowest one `trace`. */
const PINO_LEVELS: Record<string, Level> = {
  fatal: 'fatal',
  error: 'error',
  warn: 'warn',
  info: 'info',
  debug: 'debug',
  verbose: 'trace',
};

/**
 * Defence in depth: a request's line (request-pipeline.ts) never copies headers or bodies, and
 * these paths are censored should any log call pass such an object anyway. Paid only for lines
 * that are written.
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

export function createAppLogger(env: Env): Pino {
  return pino({
    timestamp: stdTimeFunctions.isoTime,
    level: PINO_LEVELS[env.LOG_LEVEL],
    base: { service: 'openclaw', role: env.ROLE },
    redact: { paths: REDACT, censor: '[redacted]' },
  });
}

@Global()
@Module({})
class LoggingModule {}

/**
 * One JSON line per event on stdout. nestjs-pino serves Nest's Logger; its per-request middleware
 * (a child logger and an AsyncLocalStorage scope for every request) is not mounted: the request
 * line is written by the request pipeline, and lines about a request name its id in the message.
 */
export function loggingModule(env: Env): DynamicModule {
  const logger = createAppLogger(env);
  return {
    module: LoggingModule,
    imports: [LoggerModule.forRoot({ pinoHttp: { logger }, useExisting: true, forRoutes: [] })],
    providers: [{ provide: APP_LOGGER, useValue: logger }],
    exports: [APP_LOGGER, LoggerModule],
  };
}
