import type { Worker } from 'bullmq';

import type { RedisService } from '../redis/redis.service';

/**
 * A BullMQ worker's stop at shutdown: no new jobs, the ones this process runs finish, then the
 * worker closes. BullMQ's graceful close also waits for the worker's fetch loop, and that loop
 * waits for Redis to come back: with Redis unreachable at SIGTERM the close outlasted every
 * deadline and the process exited 1 at the hard limit. So while Redis does not answer, the jobs
 * running here are awaited by this class and the worker is closed at once (BullMQ's `force`);
 * what Redis still holds for them is settled by the reconcilers, as after any outage.
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

  /** Closes the worker once; later calls wait for that close. */
  close(worker: Worker | undefined): Promise<void> {
    if (!worker) return Promise.resolve();
    this.closing ??=
      this.redis.client.status === 'ready'
        ? worker.close()
        : this.settled().then(() => worker.close(true));
    return this.closing;
  }

  private async settled(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }
}
