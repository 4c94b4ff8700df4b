import type { Worker } from 'bullmq';

import type { RedisService } from '../redis/redis.service';

/**
 * A BullMQ worker's stop at shutdown: no new jobs, the ones this process runs finish, then the
 * worker closes. BullMQ's graceful close also waits for the worker's own bookkeeping in Redis
 * (a finished job moved to completed), and with Redis unreachable that waits for Redis to come
 * back: the close outlasted every deadline and the process exited 1 at the hard limit. So the
 * jobs running here are awaited by this class, and when Redis does not answer the worker is then
 * closed at once (BullMQ's `force`); what Redis still holds for those jobs is settled by the
 * reconcilers, as after any outage.
 */
export class WorkerShutdown {
  private readonly running = new Set<Promise<unknown>>();
  private closing?: Promise<void>;

  constructor(private readonly redis: RedisService) {}

  /** The worker's processor, with each job it runs counted until it ends. */
  track<J>(process: (job: J) => Promise<unknown>): (job: J) => Promise<unknown> {
    return (job) => {
      const work = process(job);
      this.running.add(work);
      const forget = () => this.running.delete(work);
      work.then(forget, forget);
      return work;
    };
  }

  /** Stops and closes the worker once; later calls wait for that. */
  close(worker: Worker | undefined): Promise<void> {
    if (!worker) return Promise.resolve();
    this.closing ??= this.stop(worker);
    return this.closing;
  }

  private async stop(worker: Worker): Promise<void> {
    // No new jobs; the ones running here finish (they need the database, not Redis).
    await worker.pause(true);
    await this.settled();
    // Decided only now, by a round trip: a Redis killed just before SIGTERM can still read as
    // 'ready' until its socket's close is handled, and the graceful close then waited for it.
    const answers = await this.redis.ping().then(
      () => true,
      () => false,
    );
    await (answers ? worker.close() : worker.close(true));
  }

  private async settled(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }
}
