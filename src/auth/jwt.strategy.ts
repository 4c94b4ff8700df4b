import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { ExtractJwt, Strategy } from 'passport-jwt';

import { CachedCredential, CredentialCache } from '../core/auth/credential-cache.service';
import type { Principal } from '../core/auth/principal';
import { AppException } from '../core/errors/app.exception';
import { ErrorCode } from '../core/errors/error-code';
import { UsersService } from '../users/users.service';
import { JWT_SECRET } from './jwt-secret.provider';

export interface JwtPayload {
  sub: string;
  /** The user's token version at issue; tokens from before the token version existed carry none (0). */
  ver?: number;
}

@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(
    @Inject(JWT_SECRET) secret: string,
    private readonly users: UsersService,
    private readonly cache: CredentialCache,
  ) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      secretOrKey: secret,
      algorithms: ['HS256'],
      ignoreExpiration: false,
    });
  }

  /**
   * Deleting, disabling or bumping the user's token version clears every replica's cache, so each
   * takes effect at once. A disabled user is a 403 before any version check.
   */
  async validate(payload: JwtPayload): Promise<Principal> {
    if (typeof payload?.sub !== 'string') throw new AppException(ErrorCode.INVALID_TOKEN);
    const version = payload.ver ?? 0;
    if (!Number.isInteger(version)) throw new AppException(ErrorCode.INVALID_TOKEN);
    const key = `user:${payload.sub}`;
    let loaded = false;
    let credential = await this.cache.resolve(key, () => ((loaded = true), this.load(payload.sub)));
    // A cached version older than the token's or than the one a change recorded: the change's
    // announcement is still on its way to this replica, so read the user again.
    const cached = credential.tokenVersion!;
    if (
      version > cached ||
      (!loaded && ((await this.cache.recordedTokenVersion(payload.sub)) ?? 0) > cached)
    ) {
      this.cache.forget(key);
      credential = await this.cache.resolve(key, () => this.load(payload.sub));
    }
    if (version !== credential.tokenVersion) throw new AppException(ErrorCode.INVALID_TOKEN);
    return credential.principal;
  }

  private async load(userId: string): Promise<CachedCredential> {
    const user = await this.users.findById(userId);
    if (!user) throw new AppException(ErrorCode.INVALID_TOKEN);
    if (user.disabled) throw new AppException(ErrorCode.FORBIDDEN, 'This account is disabled');
    return {
      principal: {
        userId: user.id,
        email: user.email,
        role: user.role,
        via: 'jwt',
        quota: user.quota,
      },
      expiresAt: null,
      lastUsedAt: null,
      tokenVersion: user.tokenVersion,
    };
  }
}
