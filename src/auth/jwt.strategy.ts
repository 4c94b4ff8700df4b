import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { ExtractJwt, Strategy } from 'passport-jwt';

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
  ) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      secretOrKey: secret,
      algorithms: ['HS256'],
      ignoreExpiration: false,
    });
  }

  /** The user is read on every request so deletion and disabling take effect at once. */
  async validate(payload: JwtPayload): Promise<Principal> {
    const user = typeof payload?.sub === 'string' ? await this.users.findById(payload.sub) : null;
    if (!user) throw new AppException(ErrorCode.INVALID_TOKEN);
    if (user.disabled) throw new AppException(ErrorCode.FORBIDDEN, 'This account is disabled');
    return { userId: user.id, email: user.email, role: user.role, via: 'jwt' };
  }
}
