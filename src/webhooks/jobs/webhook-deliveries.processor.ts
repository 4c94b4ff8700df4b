import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Job, Worker } from 'bullmq';

import { EnvService } from '../../core/env/env.service';
import {
  QUEUE_PREFIX,
  WEBHOOK_DELIVERIES_QUEUE,
  WebhookDeliveryJob,
} from '../../core/queue/queues';
import { ReconcileLoop } from '../../core/queue/reconcile-loop';
import { bullConnection } from '../../core/queue/redis-connection';
import { WorkerShutdown } from '../../core/queue/worker-shutdown';
import { RedisService } from '../../core/redis/redis.service';
import { ShutdownService } from '../../core/shutdown/shutdown.service';
import { DeliveryService } from '../delivery.service';

/** The `webhook-deliveries` worker and the reconciler beside it; loaded only where ROLE includes the worker. */
@Injectable()
export class WebhookDeliveriesProcessor implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(WebhookDeliveriesProcessor.name);
  private worker?: Worker<WebhookDeliveryJob>;
  private reconciler?: ReconcileLoop;
  private readonly stop: WorkerShutdown;

  constructor(
    private readonly deliveries: DeliveryService,
    private readonly env: EnvService,
    shutdown: ShutdownService,
    redis: RedisService,
  ) {
    this.stop = new WorkerShutdown(redis);
    // No new deliveries from the moment the process begins to stop; the ones being sent finish.
    shutdown.signal.addEventListener('abort', () => void this.stop.close(this.worker));
  }

  onApplicationBootstrap(): void {
    this.worker = new Worker<WebhookDeliveryJob>(
      WEBHOOK_DELIVERIES_QUEUE,
      this.stop.track((job: Job<WebhookDeliveryJob>) =>
        this.deliveries.attempt(job.data.deliveryId),
      ),
      {
        connection: bullConnection(this.env.get('REDIS_URL')),
        prefix: QUEUE_PREFIX,
        concurrency: this.env.get('WEBHOOK_CONCURRENCY'),
      },
    );
    this.worker.on('error', (error) => this.logger.error(`Worker error: ${error.message}`));
    const every = this.env.get('WEBHOOK_RECONCILE_INTERVAL_MS');
    this.reconciler = new ReconcileLoop(every, () =>
      this.deliveries.reconcile(every).then(
        (n) => void (n > 0 && this.logger.log(`Re-enqueued ${n} overdue webhook deliveries`)),
        (err: Error) => this.logger.warn(`Reconciling deliveries failed: ${err.message}`),
      ),
    );
    this.reconciler.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.reconciler?.stop();
    await this.stop.close(this.worker);
  }
}
