import { BullModule } from '@nestjs/bullmq';
import { Global, Module } from '@nestjs/common';
import { Queue, type QueueOptions } from 'bullmq';

import { EnvService } from '../env/env.service';
import { closeIfStartFails } from '../startup/startup-scope';
import { JobProducer } from './job-producer';
import { QUEUE_NAMES, QUEUE_PREFIX } from './queues';
import { producerConnection } from './redis-connection';

/** A queue whose connection is closed should the app around it fail to build. */
class StartupTrackedQueue extends Queue {
  constructor(name: string, opts?: QueueOptions) {
    super(name, opts);
    // Redis trouble surfaces through the calls (each bounded) and /health/ready; an 'error' event
    // with no listener would crash the process instead.
    this.on('error', () => undefined);
    // BullMQ re-emits a failed first connection (a SELECT that met a closed socket, say) as an
    // 'error' of the connection even after close() removed its listeners, and an 'error' no one
    // listens to throws: a failing start-up crashed with a stack instead of its one-line reason.
    const connection = this.connection;
    const emit = connection.emit.bind(connection);
    connection.emit = (event: string | symbol, ...args: unknown[]) =>
      event === 'error' && connection.listenerCount('error') === 0 ? false : emit(event, ...args);
    closeIfStartFails(() => this.close());
  }

  /**
   * With Redis unreachable BullMQ's QUIT cannot be sent ("Stream isn't writeable"), and that
   * failure failed the whole shutdown (exit 1): the connection is dropped instead.
   */
  override async close(): Promise<void> {
    try {
      await super.close();
    } catch {
      // It failed after the first connection: BullMQ only sends QUIT on a connection that was ready.
      (await this.client).disconnect();
    }
  }
}
// Read by registerQueue below, so set before it.
BullModule.queueClass = StartupTrackedQueue;

@Global()
@Module({
  imports: [
    BullModule.forRootAsync({
      inject: [EnvService],
      useFactory: (env: EnvService) => ({
        // The injected Queues only produce; Workers and QueueEvents build their own connections.
        connection: producerConnection(env.get('REDIS_URL'), env.get('REDIS_COMMAND_TIMEOUT_MS')),
        prefix: QUEUE_PREFIX,
        // No INFO round trip at connect (the workers check the Redis version): a queue closed while
        // that command was in flight made BullMQ emit an 'error' on a connection with no listener left.
        skipVersionCheck: true,
      }),
    }),
    BullModule.registerQueue(...QUEUE_NAMES.map((name) => ({ name }))),
  ],
  providers: [JobProducer],
  exports: [BullModule, JobProducer],
})
export class QueueModule {}
