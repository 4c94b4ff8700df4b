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

/** What a route asks of its caller, read from its decorators once rather than on every request. */
interface RouteRules {
  isPublic: boolean;
  roles: Role[] | undefined;
  isChat: boolean;
}

/** SPEC §4: only a JWT-shaped token (three dot-separated parts) is a JWT. */
function isJwtShaped(token: string): boolean {
  const first = token.indexOf('.');
  const second = first < 0 ? -1 : token.indexOf('.', first + 1);
  return second >= 0 && token.indexOf('.', second + 1) < 0;
}

/**
 * The one guard in front of every route: an API key (`oc_…`) or a JWT from login,
 * then the route's roles. Public routes opt out with @Public().
 */
@Injectable()
export class AuthGuard extends PassportAuthGuard('jwt') {
  /** By controller class, then handler: an inherited handler may serve classes with other rules. */
  private readonly rules = new WeakMap<object, WeakMap<object, RouteRules>>();

  constructor(
    private readonly reflector: Reflector,
    @Inject(CREDENTIAL_RESOLVER) private readonly apiKeys: CredentialResolver,
    private readonly limiter: RateLimiterService,
  ) {
    super();
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const rules = this.routeRules(context);
    if (rules.isPublic) return true;

    const http = context.switchToHttp();
    const req = http.getRequest<Request>();
    const match = BEARER.exec(req.headers.authorization ?? '');
    if (!match) throw new AppException(ErrorCode.UNAUTHORIZED);

    // Anything that is not JWT-shaped is judged as an API key.
    if (isJwtShaped(match[1])) {
      await super.canActivate(context);
    } else {
      req.user = await this.apiKeys.authenticate(match[1]);
    }

    if (rules.roles && !rules.roles.includes(req.user!.role)) {
      throw new AppException(ErrorCode.FORBIDDEN);
    }
    await this.limiter.consume(req.user!, rules.isChat, http.getResponse<Response>());
    return true;
  }

  override handleRequest<T = Principal>(err: unknown, user: T | false): T {
    if (err) throw err instanceof AppException ? err : new AppException(ErrorCode.INVALID_TOKEN);
    if (!user) throw new AppException(ErrorCode.INVALID_TOKEN);
    return user;
  }

  /** A route's decorators never change once the app is built. */
  private routeRules(context: ExecutionContext): RouteRules {
    const handler = context.getHandler();
    const controller = context.getClass();
    let byHandler = this.rules.get(controller);
    if (!byHandler) {
      byHandler = new WeakMap();
      this.rules.set(controller, byHandler);
    }
    let rules = byHandler.get(handler);
    if (!rules) {
      const targets = [handler, controller];
      rules = {
        isPublic: this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets) ?? false,
        roles: this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, targets),
        isChat: this.reflector.getAllAndOverride<boolean>(CHAT_LIMIT, targets) ?? false,
      };
      byHandler.set(handler, rules);
    }
    return rules;
  }
}
