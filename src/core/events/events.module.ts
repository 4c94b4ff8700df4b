import { DynamicModule, Module } from '@nestjs/common';

import { EventsService } from './events.service';

/**
 * Global so that every producer reaches the unit of work. The subscriber is plugged in by the app:
 * the given module must export an EVENT_SINK provider.
 */
@Module({})
export class EventsModule {
  static forRoot({ sink }: { sink: DynamicModule }): DynamicModule {
    return {
      module: EventsModule,
      global: true,
      imports: [sink],
      providers: [EventsService],
      exports: [EventsService],
    };
  }
}
