import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';

import { WebhookHousekeepingService } from '../webhook-housekeeping.service';

// Retention is counted in days: an hourly sweep keeps it within the hour.
const SWEEP_EVERY_MS = 3_600_000;

/** Reseals secrets once at start, then sweeps old events; worker role only (one place does it). */
@Injectable()
export class WebhookHousekeepingProcessor implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(WebhookHousekeepingProcessor.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(private readonly housekeeping: WebhookHousekeepingService) {}

  onApplicationBootstrap(): void {
    // In the background: start-up does not wait for a pass over every webhook.
    this.running = this.run(true);
    this.timer = setInterval(() => {
      this.running ??= this.run(false);
    }, SWEEP_EVERY_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  private async run(atStart: boolean): Promise<void> {
    try {
      if (atStart) {
        const resealed = await this.housekeeping
          .resealSecrets()
          .catch((err: Error) =>
            this.logger.error(`Sealing webhook secrets failed: ${err.message}`),
          );
        if (resealed) this.logger.log(`Sealed ${resealed} webhook secrets with the newest key`);
      }
      const { events, attempts } = await this.housekeeping.sweep();
      if (events + attempts > 0)
        this.logger.log(`Removed ${events} old webhook events and ${attempts} old attempts`);
    } catch (err) {
      this.logger.warn(`Webhook retention sweep failed: ${(err as Error).message}`);
    } finally {
      this.running = undefined;
    }
  }
}
