import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import type { Request } from 'express';

import { AppException } from '../errors/app.exception';

const BODY_ARG = `${RouteParamtypes.BODY}:`;

/** Whether each handler declares a body (a `@Body()` parameter): read from Nest's metadata once. */
const declaresBody = new WeakMap<object, boolean>();

function takesBody(context: ExecutionContext): boolean {
  const handler = context.getHandler();
  let found = declaresBody.get(handler);
  if (found === undefined) {
    const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, context.getClass(), handler.name) ??
      {}) as Record<string, unknown>;
    found = Object.keys(args).some((key) => key.startsWith(BODY_ARG));
    declaresBody.set(handler, found);
  }
  return found;
}

/**
 * Runs first on every matched route: a body that could not be parsed fails before anything else,
 * and so do fields sent to a route that takes none (SPEC §3: unknown body fields are a 400; no DTO
 * is there to refuse them).
 */
@Injectable()
export class RequestBodyGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<Request>();
    if (req.bodyError !== undefined) throw req.bodyError;
    const body = req.body as object | undefined;
    if (body && typeof body === 'object') {
      const fields = Object.keys(body);
      if (fields.length > 0 && !takesBody(context)) {
        throw AppException.validation(
          fields.map((field) => ({ field, message: `property ${field} should not exist` })),
          'This route takes no body fields',
        );
      }
    }
    return true;
  }
}
