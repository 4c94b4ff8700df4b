import type { NestExpressApplication } from '@nestjs/platform-express';
import helmet from 'helmet';

import type { Env } from '../env/env';
import { ShutdownService } from '../shutdown/shutdown.service';
import { jsonBodyParsing } from './body-parsing';
import { featureMiddlewares } from './http-middleware';
import { requestId } from './request-id.middleware';

export const API_PREFIX = 'api/v1';

/** HTTP settings shared by main.ts and the e2e tests, so both run the same stack. */
export function configureApp(app: NestExpressApplication, env: Env): void {
  app.disable('x-powered-by');
  // Only then does req.ip (the login limiter's client address) come from X-Forwarded-For.
  if (env.trustProxy !== false) app.set('trust proxy', env.trustProxy);
  app.use(requestId);
  app.use(app.get(ShutdownService).middleware());
  // The features' own (request metrics): they see every response, even a 404 or a rejected body.
  for (const middleware of featureMiddlewares(app)) app.use(middleware);
  // No upgrade-insecure-requests: on a plain-HTTP install it would break Swagger UI's own assets.
  app.use(helmet({ contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } } }));
  app.use(...jsonBodyParsing(env.bodyLimitBytes));
  if (env.corsOrigins.length > 0) {
    app.enableCors({
      origin: env.corsOrigins,
      exposedHeaders: [
        'X-Request-Id',
        'X-Session-Id',
        'Retry-After',
        'X-RateLimit-Limit',
        'X-RateLimit-Remaining',
        'X-RateLimit-Reset',
        'Location',
      ],
    });
  }
  // OpenAI's routes keep OpenAI's paths (SPEC §10).
  app.setGlobalPrefix(API_PREFIX, {
    exclude: ['health/live', 'health/ready', 'metrics', 'v1/{*path}'],
  });
}
