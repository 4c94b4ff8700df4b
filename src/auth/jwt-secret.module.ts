import { Module } from '@nestjs/common';

import { JWT_SECRET, jwtSecretProvider } from './jwt-secret.provider';

@Module({ providers: [jwtSecretProvider], exports: [JWT_SECRET] })
export class JwtSecretModule {}
