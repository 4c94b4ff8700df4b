import express, { NextFunction, Request, Response } from 'express';

import { AppException } from '../errors/app.exception';
import { ErrorCode } from '../errors/error-code';

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

function hasBody(req: Request): boolean {
  const length = req.headers['content-length'];
  if (req.headers['transfer-encoding']) return true;
  return length !== undefined && length !== '0';
}

/** A body that is sent must be JSON; an empty body is allowed and reads as {}. */
function requireJson(req: Request, _res: Response, next: NextFunction): void {
  if (BODY_METHODS.has(req.method) && hasBody(req) && !req.is('application/json')) {
    next(new AppException(ErrorCode.UNSUPPORTED_MEDIA_TYPE));
    return;
  }
  next();
}

/**
 * A body error is kept on the request rather than answered here: an unknown route must still be
 * a 404, so the error is raised only once a route has matched (RequestBodyGuard).
 */
function deferBodyError(err: unknown, req: Request, _res: Response, next: NextFunction): void {
  req.bodyError = err;
  next();
}

/** Valid JSON that is not an object (`"hi"`, `3`, `[]`, `null`) is a field problem, not a syntax one. */
function requireObject(req: Request, _res: Response, next: NextFunction): void {
  const body: unknown = req.body;
  if (body !== undefined && (typeof body !== 'object' || body === null || Array.isArray(body))) {
    req.bodyError = AppException.validation(
      [{ field: 'body', message: 'the body must be a JSON object, such as {"name": "value"}' }],
      'The request body is valid JSON but not an object',
    );
  }
  next();
}

export function jsonBodyParsing(limitBytes: number) {
  // Not strict: body-parser's strict mode calls `"hi"` invalid JSON; requireObject says what is wrong.
  return [
    requireJson,
    express.json({ limit: limitBytes, strict: false }),
    requireObject,
    deferBodyError,
  ];
}
