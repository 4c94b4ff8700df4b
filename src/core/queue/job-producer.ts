import { InjectQueue } from '@nestjs/bullmq';
import { Injectable } from '@nestjs/common';
import { Queue } from 'bullmq';

import { EnvService } from '../env/env.service';
import {
  JOBS,
  QueueName,
  QueuePayloads,
  SKILL_RUNS_QUEUE,
  WEBHOOK_DELIVERIES_QUEUE,
} from './queues';
import { withTimeout } from './redis-connection';

/** A job to add: its id comes from the row it stands for, so adding it twice makes one job. */
export interface NewJob<Q extends QueueName> {
  id: string;
  data: QueuePayloads[Q];
}

/**
 * Every enqueue goes through here, with the queue's job name and options. Calls are bounded by
 * REDIS_COMMAND_TIMEOUT_MS and reject when Redis is away: the rows are the truth, and the
 * reconcilers enqueue what was missed.
 */
@Injectable()
export class JobProducer {
  private readonly queues: { [Q in QueueName]: Queue<QueuePayloads[Q]> };

  constructor(
    @InjectQueue(SKILL_RUNS_QUEUE) skillRuns: Queue<QueuePayloads[typeof SKILL_RUNS_QUEUE]>,
    @InjectQueue(WEBHOOK_DELIVERIES_QUEUE)
    deliveries: Queue<QueuePayloads[typeof WEBHOOK_DELIVERIES_QUEUE]>,
    private readonly env: EnvService,
  ) {
    this.queues = { [SKILL_RUNS_QUEUE]: skillRuns, [WEBHOOK_DELIVERIES_QUEUE]: deliveries };
  }

  /** Adds the jobs in one round trip, each `delayMs` from now. */
  async add<Q extends QueueName>(queue: Q, jobs: NewJob<Q>[], delayMs = 0): Promise<void> {
    if (jobs.length === 0) return;
    const { name, options } = JOBS[queue];
    const target = this.queues[queue] as Queue<QueuePayloads[Q]>;
    const adding = target.addBulk(
      jobs.map((job) => ({
        name,
        data: job.data,
        opts: { jobId: job.id, delay: delayMs, ...options },
      })) as Parameters<typeof target.addBulk>[0],
    );
    await withTimeout(adding, this.timeoutMs, `Enqueueing ${queue} jobs`);
  }

  /** Runs a delayed job now; false when there is no such job waiting with a delay. */
  async promote(queue: QueueName, jobId: string): Promise<boolean> {
    const target: Queue = this.queues[queue];
    const job = await withTimeout(
      target.getJob(jobId),
      this.timeoutMs,
      `Looking up a ${queue} job`,
    ).catch(() => undefined);
    if (!job || !(await job.isDelayed())) return false;
    await job.promote();
    return true;
  }

  private get timeoutMs(): number {
    return this.env.get('REDIS_COMMAND_TIMEOUT_MS');
  }
}
