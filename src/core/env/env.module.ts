import { DynamicModule, Global, Module } from '@nestjs/common';

import type { Env } from './env';
import { EnvService } from './env.service';

@Global()
@Module({})
export class EnvModule {
  static forRoot(env: Env): DynamicModule {
    return {
      module: EnvModule,
      providers: [{ provide: EnvService, useValue: new EnvService(env) }],
      exports: [EnvService],
    };
  }
}
