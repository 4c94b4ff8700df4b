import express, { NextFunction, Request, Response } from 'express';

import { AppException } from '../errors/app.exception';
import { ErrorCode } from '../errors/error-code';

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

function hasBody(req: Request): boolean {
  const length = req.headers['content-length'];
  if (req.headers['transfer-encoding']) return true;
  return length !== undefined && length !== '0';
}

/** Valid JSON that is not an object (`"hi"`, `3`, `[]`, `null`) is a field problem, not a syntax one. */
function notAnObject(body: unknown): AppException | undefined {
  if (body === undefined || (typeof body === 'object' && body !== null && !Array.isArray(body))) {
    return undefined;
  }
  return AppException.validation(
    [{ field: 'body', message: 'the body must be a JSON object, such as {"name": "value"}' }],
    'The request body is valid JSON but not an object',
  );
}

/**
 * A compressed body that does not decompress: body-parser passes zlib's error on with a 400 and no
 * `type`, which would otherwise read as an unexpected error (a 500). Its other errors keep their type.
 */
function unreadable(err: unknown): unknown {
  const { type, status } = (err ?? {}) as { type?: unknown; status?: unknown };
  if (typeof type === 'string' || typeof status !== 'number' || status < 400 || status >= 500) {
    return err;
  }
  return AppException.validation(
    [{ field: 'body', message: 'the body does not decompress as its Content-Encoding says' }],
    'The request body could not be decompressed',
  );
}

/**
 * A body that is sent must be JSON; an empty body is allowed and reads as {}. What is wrong with a
 * body is kept on the request rather than answered here: an unknown route must still be a 404, so
 * the error is raised only once a route has matched (RequestBodyGuard). One middleware rather than
 * one per step: each step was a layer that every request walked through.
 */
export function jsonBodyParsing(limitBytes: number) {
  // Not strict: body-parser's strict mode calls `"hi"` invalid JSON; notAnObject says what is wrong.
  const parseJson = express.json({ limit: limitBytes, strict: false });
  return function parseBody(req: Request, res: Response, next: NextFunction): void {
    if (BODY_METHODS.has(req.method) && hasBody(req) && !req.is('application/json')) {
      req.bodyError = new AppException(ErrorCode.UNSUPPORTED_MEDIA_TYPE);
      next();
      return;
    }
    parseJson(req, res, (err?: unknown) => {
      req.bodyError = err ? unreadable(err) : notAnObject(req.body);
      next();
    });
  };
}
