import { Body, Controller, HttpCode, Post, Req } from '@nestjs/common';
import type { Request } from 'express';

import { Public } from '../core/auth/public.decorator';
import { ApiErrors } from '../core/errors/api-errors.decorator';
import { AuthService } from './auth.service';
import { LoginDto } from './dto/login.dto';
import { TokenResponseDto } from './dto/token-response.dto';

@Controller('auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  /** A JWT for an email and password. Failed attempts are limited per email and per address. */
  @Public()
  @Post('login')
  @HttpCode(200)
  @ApiErrors({
    401: 'INVALID_CREDENTIALS: wrong email or password (the same answer for both)',
    403: 'FORBIDDEN: the account is disabled',
    429: 'RATE_LIMIT: too many failed attempts for this email or address; see `Retry-After`',
  })
  login(@Body() dto: LoginDto, @Req() req: Request): Promise<TokenResponseDto> {
    return this.auth.login(dto, req.ip ?? 'unknown');
  }
}
