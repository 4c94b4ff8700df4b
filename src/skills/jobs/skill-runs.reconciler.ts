import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Queue } from 'bullmq';
import { LessThanOrEqual, Repository } from 'typeorm';

import { EnvService } from '../../core/env/env.service';
import { SKILL_RUNS_QUEUE, SkillRunJob } from '../../core/queue/queues';
import { ReconcileLoop } from '../../core/queue/reconcile-loop';
import { withTimeout } from '../../core/queue/redis-connection';
import { SkillRunEntity } from '../entities/skill-run.entity';
import { SkillRunsService } from '../skill-runs.service';

const BATCH = 500;
const LOST_REASON =
  'the run was lost by the queue (Redis restarted or was flushed) after it started';

/**
 * The row is the truth (SPEC §8, §11): every SKILL_RECONCILE_INTERVAL_MS, in the worker role, a
 * `queued` run whose job vanished is enqueued again (same job id), and a `running` run past its
 * timeout whose job no worker holds any more ends `failed`. So every run reaches a final state.
 */
@Injectable()
export class SkillRunsReconciler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(SkillRunsReconciler.name);
  private loop?: ReconcileLoop;

  constructor(
    @InjectRepository(SkillRunEntity) private readonly runs: Repository<SkillRunEntity>,
    @InjectQueue(SKILL_RUNS_QUEUE) private readonly queue: Queue<SkillRunJob>,
    private readonly service: SkillRunsService,
    private readonly env: EnvService,
  ) {}

  onApplicationBootstrap(): void {
    this.loop = new ReconcileLoop(this.env.get('SKILL_RECONCILE_INTERVAL_MS'), () =>
      this.reconcile().then(
        ({ requeued, failed }) => {
          if (requeued) this.logger.log(`Re-enqueued ${requeued} queued runs whose job was lost`);
          if (failed) this.logger.warn(`Ended ${failed} lost running runs as failed`);
        },
        (err: Error) => this.logger.warn(`Reconciling skill runs failed: ${err.message}`),
      ),
    );
    this.loop.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.loop?.stop();
  }

  async reconcile(): Promise<{ requeued: number; failed: number }> {
    const every = this.env.get('SKILL_RECONCILE_INTERVAL_MS');
    const now = Date.now();
    let requeued = 0;
    let failed = 0;
    // Older than one interval: a run just inserted has its job on the way.
    const queued = await this.runs.find({
      select: { id: true },
      where: { status: 'queued', createdAt: LessThanOrEqual(new Date(now - every)) },
      order: { createdAt: 'ASC' },
      take: BATCH,
    });
    for (const { id } of queued) {
      const state = await this.jobState(id);
      if (state === 'completed' || state === 'failed') {
        // Settled without ever starting the script (the run is still queued): try it afresh.
        await withTimeout(this.queue.remove(id), this.commandTimeout, 'Removing a job');
      } else if (state !== 'gone') {
        continue;
      }
      await this.service.addJob(id);
      requeued++;
    }
    // Past its timeout plus the time a stalled worker takes to be noticed, twice over.
    const grace = 2 * (2 * this.env.get('SKILL_STALLED_INTERVAL_MS')) + every;
    const running = await this.runs
      .createQueryBuilder('r')
      .innerJoinAndSelect('r.skill', 's')
      .where('r.status = :status', { status: 'running' })
      .orderBy('r.started_at', 'ASC')
      .take(BATCH)
      .getMany();
    for (const run of running) {
      const deadline = (run.startedAt?.getTime() ?? 0) + (run.skill?.timeoutMs ?? 0) + grace;
      if (now < deadline) continue;
      // An active job is held by a live worker (its lock is renewed); a dead one's is stalled recovery's.
      if ((await this.jobState(run.id)) === 'active') continue;
      await this.service.fail(run.id, LOST_REASON);
      failed++;
    }
    return { requeued, failed };
  }

  private get commandTimeout(): number {
    return this.env.get('REDIS_COMMAND_TIMEOUT_MS');
  }

  private async jobState(id: string): Promise<string> {
    const job = await withTimeout(this.queue.getJob(id), this.commandTimeout, 'Looking up a job');
    if (!job) return 'gone';
    return withTimeout(job.getState(), this.commandTimeout, 'Reading a job state');
  }
}
