import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';

import { EnvService } from '../core/env/env.service';
import { AppException } from '../core/errors/app.exception';
import { ErrorCode } from '../core/errors/error-code';
import { hashPassword, randomSecret, verifyPassword } from '../core/security/password';
import { UsersService } from '../users/users.service';
import type { LoginDto } from './dto/login.dto';
import type { TokenResponseDto } from './dto/token-response.dto';
import type { JwtPayload } from './jwt.strategy';
import { LoginLimiterService } from './login-limiter.service';

@Injectable()
export class AuthService {
  // Verified against when the e-mail is unknown, so both failures take the same time.
  private readonly dummyHash = hashPassword(randomSecret());

  constructor(
    private readonly users: UsersService,
    private readonly jwt: JwtService,
    private readonly limiter: LoginLimiterService,
    private readonly env: EnvService,
  ) {}

  async login(dto: LoginDto, address: string): Promise<TokenResponseDto> {
    const email = dto.email.trim().toLowerCase();
    await this.limiter.attempt(email, address);
    const user = await this.users.findByEmail(email);
    const ok = await verifyPassword(user?.passwordHash ?? (await this.dummyHash), dto.password);
    if (!user || !ok) throw new AppException(ErrorCode.INVALID_CREDENTIALS);
    await this.limiter.refund(email, address);
    if (user.disabled) throw new AppException(ErrorCode.FORBIDDEN, 'This account is disabled');
    const expiresIn = this.env.get('jwtExpiresInSeconds');
    const payload: JwtPayload = { sub: user.id, ver: user.tokenVersion };
    const accessToken = await this.jwt.signAsync(payload, { expiresIn });
    return { access_token: accessToken, token_type: 'Bearer', expires_in: expiresIn };
  }
}
