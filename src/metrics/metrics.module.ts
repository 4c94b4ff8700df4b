import { DynamicModule, Global, Module } from '@nestjs/common';

import { REQUEST_OBSERVER } from '../core/http/request-pipeline';
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
      providers: [MetricsService, { provide: REQUEST_OBSERVER, useExisting: MetricsService }],
      exports: [MetricsService],
    };
  }
}
