import { ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard as PassportAuthGuard } from '@nestjs/passport';
import type { Request, Response } from 'express';

import { AppException } from '../errors/app.exception';
import { ErrorCode } from '../errors/error-code';
import { RateLimiterService } from '../redis/rate-limiter.service';
import { CREDENTIAL_RESOLVER, type CredentialResolver } from './credential-resolver';
import type { Principal } from './principal';
import { IS_PUBLIC } from './public.decorator';
import { CHAT_LIMIT } from './rate-limit.decorator';
import type { Role } from './role';
import { ROLES_KEY } from './roles.decorator';

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/**
 * The one guard in front of every route: an API key (`oc_…`) or a JWT from login,
 * then the route's roles. Public routes opt out with @Public().
 */
@Injectable()
export class AuthGuard extends PassportAuthGuard('jwt') {
  constructor(
    private readonly reflector: Reflector,
    @Inject(CREDENTIAL_RESOLVER) private readonly apiKeys: CredentialResolver,
    private readonly limiter: RateLimiterService,
  ) {
    super();
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;

    const req = context.switchToHttp().getRequest<Request>();
    const match = BEARER.exec(req.headers.authorization ?? '');
    if (!match) throw new AppException(ErrorCode.UNAUTHORIZED);

    // SPEC §4: only a JWT-shaped token (three dot-separated parts) is a JWT; anything else is judged as a key.
    if (match[1].split('.').length !== 3) {
      req.user = await this.apiKeys.authenticate(match[1]);
    } else {
      await super.canActivate(context);
    }

    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, targets);
    if (roles && !roles.includes(req.user!.role)) throw new AppException(ErrorCode.FORBIDDEN);
    const isChat = this.reflector.getAllAndOverride<boolean>(CHAT_LIMIT, targets) ?? false;
    await this.limiter.consume(req.user!, isChat, context.switchToHttp().getResponse<Response>());
    return true;
  }

  override handleRequest<T = Principal>(err: unknown, user: T | false): T {
    if (err) throw err instanceof AppException ? err : new AppException(ErrorCode.INVALID_TOKEN);
    if (!user) throw new AppException(ErrorCode.INVALID_TOKEN);
    return user;
  }
}
