import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Logger } from 'nestjs-pino';

import { AppModule } from '../../app.module';
import type { Env } from '../env/env';
import { configureApp } from '../http/configure-app';
import { setupOpenApi } from '../http/openapi';

export async function createApp(env: Env): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(env), {
    bodyParser: false,
    // Held until the JSON logger is in place, so even start-up lines come out as JSON.
    bufferLogs: true,
    abortOnError: false,
  });
  app.useLogger(app.get(Logger));
  configureApp(app, env);
  if (env.ROLE !== 'worker') setupOpenApi(app);
  return app;
}
