import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Job, Worker } from 'bullmq';

import { EnvService } from '../../core/env/env.service';
import { QUEUE_PREFIX, SKILL_RUNS_QUEUE, SkillRunJob } from '../../core/queue/queues';
import { bullConnection } from '../../core/queue/redis-connection';
import { WorkerShutdown } from '../../core/queue/worker-shutdown';
import { RedisService } from '../../core/redis/redis.service';
import { ShutdownService } from '../../core/shutdown/shutdown.service';
import { StartupError } from '../../core/startup/startup.error';
import { ScriptLauncher } from '../runner/script-launcher';
import { probeBwrap, Sandbox, SandboxSetting } from '../runner/script-runner';
import { SkillRunsService } from '../skill-runs.service';

const STOPPED_REASON = 'the worker running this skill stopped before it finished';

/**
 * The `skill-runs` worker, loaded only where ROLE includes the worker. Built by hand rather than
 * with @Processor so its lock and stall settings can come from the validated environment.
 */
@Injectable()
export class SkillRunsProcessor implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(SkillRunsProcessor.name);
  private worker?: Worker<SkillRunJob>;
  private sandbox: Sandbox = 'none';
  private bwrapPath?: string;
  private readonly launcher = new ScriptLauncher();
  private readonly stop: WorkerShutdown;

  constructor(
    private readonly runs: SkillRunsService,
    private readonly env: EnvService,
    shutdown: ShutdownService,
    redis: RedisService,
  ) {
    this.stop = new WorkerShutdown(redis);
    // No new runs from the moment the process begins to stop; the ones in progress finish.
    shutdown.signal.addEventListener('abort', () => void this.stop.close(this.worker));
  }

  onApplicationBootstrap(): void {
    this.chooseSandbox(this.env.get('SKILL_SANDBOX') as SandboxSetting);
    const stallMs = this.env.get('SKILL_STALLED_INTERVAL_MS');
    // A dead worker's lock lapses within lockMs; checks run every checkMs, but one worker's check
    // can put off another's by up to one more: noticed within lockMs + 2 × checkMs ≤ 2 × stallMs.
    // The lock stays at least 1 s so a busy event loop is not taken for a dead worker.
    const checkMs = Math.round(stallMs / 2);
    const lockMs = Math.max(checkMs, Math.min(stallMs, 1000));
    const process = this.stop.track((job: Job<SkillRunJob>) => this.process(job));
    this.worker = new Worker<SkillRunJob>(SKILL_RUNS_QUEUE, process, {
      connection: bullConnection(this.env.get('REDIS_URL')),
      prefix: QUEUE_PREFIX,
      concurrency: this.env.get('SKILL_CONCURRENCY'),
      // A killed worker's job is failed at its first stall, never run again: scripts are not
      // assumed idempotent (SPEC §8). The run ends `failed` through onFailed.
      lockDuration: lockMs,
      stalledInterval: checkMs,
      maxStalledCount: 0,
    });
    this.worker.on('failed', (job, error) => void this.onFailed(job, error));
    this.worker.on('error', (error) => this.logger.error(`Worker error: ${error.message}`));
  }

  /** SPEC §8: bwrap when it can run; `none` only when chosen, or by `auto` outside production. */
  private chooseSandbox(setting: SandboxSetting): void {
    const NONE_WARNING =
      "a script can read the server's secrets through /proc: run trusted scripts only";
    if (setting === 'none') {
      this.logger.warn(`SKILL_SANDBOX=none: skills run without a sandbox; ${NONE_WARNING}`);
      return;
    }
    const probe = probeBwrap();
    if ('path' in probe) {
      this.sandbox = 'bwrap';
      this.bwrapPath = probe.path;
      this.logger.log(
        'Skills run under bubblewrap: own PID, network, IPC and mount namespaces, read-only system, private /tmp',
      );
      return;
    }
    const fixes =
      'make bubblewrap runnable (apt-get install bubblewrap; allow unprivileged user namespaces) or set SKILL_SANDBOX=none explicitly';
    if (setting === 'bwrap') {
      throw new StartupError(
        `SKILL_SANDBOX=bwrap, but bubblewrap cannot run here (${probe.problem}): ${fixes}.`,
      );
    }
    if (this.env.get('NODE_ENV') === 'production') {
      throw new StartupError(
        `SKILL_SANDBOX=auto with NODE_ENV=production, but bubblewrap cannot run here (${probe.problem}): ${fixes}.`,
      );
    }
    this.logger.warn(
      `SKILL_SANDBOX=auto: bubblewrap cannot run here (${probe.problem}), so skills run without a sandbox; ${NONE_WARNING}. To fix: ${fixes}.`,
    );
  }

  private async process(job: Job<SkillRunJob>): Promise<void> {
    const started = await this.runs.start(job.data.runId);
    if (!started) return;
    if ('notQueued' in started) {
      // A second job for a run already taken (re-enqueued after Redis lost the first): the script
      // runs once. A dead worker's own job never comes back here: it fails at its first stall.
      this.logger.warn(`Run ${job.data.runId} is ${started.notQueued.status}, not run again`);
      return;
    }
    try {
      const result = await this.launcher.run({
        runId: started.run.id,
        script: started.skill.script,
        params: started.run.params,
        timeoutMs: started.skill.timeoutMs,
        maxOutputBytes: this.env.get('SKILL_MAX_OUTPUT_BYTES'),
        maxMemoryMb: this.env.get('SKILL_MAX_MEMORY_MB'),
        sandbox: this.sandbox,
        bwrapPath: this.bwrapPath,
      });
      await this.runs.finish(started, result);
    } catch (err) {
      // The run ends here, before the job settles, so a caller waiting on the job reads a finished run.
      this.logger.error(
        `Run ${started.run.id} could not be completed: ${(err as Error).stack ?? err}`,
      );
      await this.runs.fail(
        started.run.id,
        'the run could not be completed because of a server error',
      );
    }
  }

  private async onFailed(job: Job<SkillRunJob> | undefined, error: Error): Promise<void> {
    if (!job) return;
    const reason = /stalled/i.test(error.message)
      ? STOPPED_REASON
      : 'the run could not be completed because of a server error';
    await this.runs
      .fail(job.data.runId, reason)
      .catch((err: Error) => this.logger.error(err.message));
  }

  /** Waits for the runs in progress to finish: SIGTERM never cuts a script short. */
  async onApplicationShutdown(): Promise<void> {
    await this.stop.close(this.worker);
    this.launcher.close();
  }
}
