import { DynamicModule, Global, Module } from '@nestjs/common';

import { HTTP_MIDDLEWARE } from '../core/http/http-middleware';
import { MetricsController } from './metrics.controller';
import { MetricsService } from './metrics.service';

/** The registry in every role (workers count their jobs); GET /metrics where the HTTP API is served. */
@Global()
@Module({})
export class MetricsModule {
  static forRole({ api }: { api: boolean }): DynamicModule {
    return {
      module: MetricsModule,
      controllers: api ? [MetricsController] : [],
      providers: [
        MetricsService,
        {
          provide: HTTP_MIDDLEWARE,
          useFactory: (metrics: MetricsService) => metrics.httpMiddleware(),
          inject: [MetricsService],
        },
      ],
      exports: [MetricsService],
    };
  }
}
