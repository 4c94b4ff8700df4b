import { Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { PassportModule } from '@nestjs/passport';
import { TypeOrmModule } from '@nestjs/typeorm';

import { CREDENTIAL_RESOLVER } from '../core/auth/credential-resolver';
import { ModelsModule } from '../models/models.module';
import { UsersModule } from '../users/users.module';
import { ApiKeysController } from './api-keys.controller';
import { ApiKeysRepository } from './api-keys.repository';
import { ApiKeysService } from './api-keys.service';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { ApiKeyEntity } from './entities/api-key.entity';
import { JwtStrategy } from './jwt.strategy';
import { JwtSecretModule } from './jwt-secret.module';
import { JWT_SECRET } from './jwt-secret.provider';
import { LoginLimiterService } from './login-limiter.service';

@Module({
  imports: [
    TypeOrmModule.forFeature([ApiKeyEntity]),
    UsersModule,
    ModelsModule,
    JwtSecretModule,
    PassportModule,
    JwtModule.registerAsync({
      imports: [JwtSecretModule],
      inject: [JWT_SECRET],
      useFactory: (secret: string) => ({
        secret,
        signOptions: { algorithm: 'HS256' },
        verifyOptions: { algorithms: ['HS256'] },
      }),
    }),
  ],
  controllers: [AuthController, ApiKeysController],
  providers: [
    AuthService,
    ApiKeysService,
    ApiKeysRepository,
    JwtStrategy,
    LoginLimiterService,
    // The global guard in core/ resolves API keys through this token.
    { provide: CREDENTIAL_RESOLVER, useExisting: ApiKeysService },
  ],
  exports: [CREDENTIAL_RESOLVER],
})
export class AuthModule {}
