import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { ExtractJwt, Strategy } from 'passport-jwt';

import { CredentialCache } from '../core/auth/credential-cache.service';
import type { Principal } from '../core/auth/principal';
import { AppException } from '../core/errors/app.exception';
import { ErrorCode } from '../core/errors/error-code';
import { UsersService } from '../users/users.service';
import { JWT_SECRET } from './jwt-secret.provider';

interface JwtPayload {
  sub: string;
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

  /** Deleting or disabling the user clears the cache, so either takes effect at once. */
  async validate(payload: JwtPayload): Promise<Principal> {
    if (typeof payload?.sub !== 'string') throw new AppException(ErrorCode.INVALID_TOKEN);
    const userId = payload.sub;
    const credential = await this.cache.resolve(`user:${userId}`, async () => {
      const user = await this.users.findById(userId);
      if (!user) throw new AppException(ErrorCode.INVALID_TOKEN);
      if (user.disabled) throw new AppException(ErrorCode.FORBIDDEN, 'This account is disabled');
      return {
        principal: { userId: user.id, email: user.email, role: user.role, via: 'jwt' },
        expiresAt: null,
        lastUsedAt: null,
      };
    });
    return credential.principal;
  }
}
