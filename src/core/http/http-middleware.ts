import type { INestApplicationContext } from '@nestjs/common';
import { UnknownElementException } from '@nestjs/core/errors/exceptions/unknown-element.exception';
import type { NextFunction, Request, Response } from 'express';

export type HttpMiddleware = (req: Request, res: Response, next: NextFunction) => void;

/**
 * A feature's Express middleware for every request, unknown routes included: a module provides it
 * under this token and configureApp mounts each one after request id and shutdown, before helmet.
 */
export const HTTP_MIDDLEWARE = Symbol('HTTP_MIDDLEWARE');

/** Every HTTP_MIDDLEWARE provided by any module, in module order; none when no module provides one. */
export function featureMiddlewares(app: INestApplicationContext): HttpMiddleware[] {
  try {
    return app.get<symbol, HttpMiddleware>(HTTP_MIDDLEWARE, { strict: false, each: true });
  } catch (err) {
    if (err instanceof UnknownElementException) return [];
    throw err;
  }
}
