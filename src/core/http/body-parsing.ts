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

export function jsonBodyParsing(limitBytes: number) {
  return [requireJson, express.json({ limit: limitBytes, strict: true }), deferBodyError];
}
