import { ConsoleLogger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Logger } from 'nestjs-pino';

import { AppModule } from './app.module';
import type { Env } from './core/env/env';
import { configureApp } from './core/http/configure-app';
import { AppHttpAdapter } from './core/http/http-adapter';
import { setupOpenApi } from './core/http/openapi';
import { closingOnFailure } from './core/startup/startup-scope';

/** The application, built; whatever step fails, what it opened is closed before the error is thrown. */
export async function createApp(env: Env): Promise<NestExpressApplication> {
  const app = await closingOnFailure(() =>
    NestFactory.create<NestExpressApplication>(AppModule.forRoot(env), new AppHttpAdapter(), {
      bodyParser: false,
      // Held until the JSON logger is in place, so even start-up lines come out as JSON; should
      // start-up fail first, Nest flushes them to this logger, JSON too.
      bufferLogs: true,
      logger: new ConsoleLogger({ json: true, colors: false }),
      abortOnError: false,
    }),
  );
  try {
    app.useLogger(app.get(Logger));
    configureApp(app, env);
    if (env.ROLE !== 'worker') setupOpenApi(app);
  } catch (err) {
    await app.close().catch(() => undefined);
    throw err;
  }
  return app;
}
