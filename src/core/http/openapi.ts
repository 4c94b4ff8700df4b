import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';

import { completeOperations, ERROR_MODELS } from './openapi-operations';

/** OpenAPI 3 generated from the controllers and DTOs: Swagger UI at /api/docs, JSON at /api/docs-json. */
export function setupOpenApi(app: NestExpressApplication): void {
  const config = new DocumentBuilder()
    .setTitle('OpenClaw API')
    .setDescription(
      'A self-hostable, multi-user AI chat gateway. Every error is ' +
        '`{"error": {"code", "message", "details"}}`; lists take `?limit&offset&order` and answer ' +
        '`{data, total, limit, offset}`. Authenticate with `Authorization: Bearer <JWT or API key>`.',
    )
    .setVersion('1')
    .addBearerAuth({
      type: 'http',
      scheme: 'bearer',
      description: 'A JWT from POST /api/v1/auth/login or an API key (oc_…)',
    })
    .addSecurityRequirements('bearer')
    .build();
  // Built on the first request for it, not at start-up: few processes are ever asked for it.
  const document = () =>
    completeOperations(SwaggerModule.createDocument(app, config, { extraModels: ERROR_MODELS }));
  SwaggerModule.setup('api/docs', app, document, {
    jsonDocumentUrl: 'api/docs-json',
    useGlobalPrefix: false,
  });
}
