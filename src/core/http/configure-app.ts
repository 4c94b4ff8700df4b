import type { NestExpressApplication } from '@nestjs/platform-express';

import type { Env } from '../env/env';
import { ShutdownService } from '../shutdown/shutdown.service';
import { jsonBodyParsing } from './body-parsing';
import { APP_LOGGER } from './logging';
import { inlineParamPipes } from './param-pipes';
import { requestObservers, requestPipeline } from './request-pipeline';
import { securityHeaders } from './security-headers';

export const API_PREFIX = 'api/v1';

/** HTTP settings shared by main.ts and the e2e tests, so both run the same stack. */
export function configureApp(app: NestExpressApplication, env: Env): void {
  // Before the routes are set up (at init), which is when Nest builds their parameter pipes.
  inlineParamPipes();
  app.disable('x-powered-by');
  // Express would hash every JSON answer (SHA-1) for an ETag that no client of the API revalidates
  // with; the console's static files keep theirs (serve-static sets its own).
  app.set('etag', false);
  // Only then does req.ip (the login limiter's client address) come from X-Forwarded-For.
  if (env.trustProxy !== false) app.set('trust proxy', env.trustProxy);
  // First, so that every response, even a 404, a refused body or a 503 while stopping, carries the
  // request id and the security headers, and is logged and counted.
  app.use(
    requestPipeline({
      logger: app.get(APP_LOGGER),
      observers: requestObservers(app),
      gate: app.get(ShutdownService),
      // No upgrade-insecure-requests: on a plain-HTTP install it would break Swagger UI's own assets.
      headers: securityHeaders({
        contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } },
      }),
    }),
  );
  app.use(jsonBodyParsing(env.bodyLimitBytes));
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
