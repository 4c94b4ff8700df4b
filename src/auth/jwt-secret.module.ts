import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';

import { SystemSettingEntity } from '../core/database/entities/system-setting.entity';
import { JWT_SECRET, jwtSecretProvider } from './jwt-secret.provider';

@Module({
  imports: [TypeOrmModule.forFeature([SystemSettingEntity])],
  providers: [jwtSecretProvider],
  exports: [JWT_SECRET],
})
export class JwtSecretModule {}
