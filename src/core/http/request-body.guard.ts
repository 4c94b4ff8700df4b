import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { Request } from 'express';

/** Runs first on every matched route: a body that could not be parsed fails before anything else. */
@Injectable()
export class RequestBodyGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<Request>();
    if (req.bodyError !== undefined) throw req.bodyError;
    return true;
  }
}
