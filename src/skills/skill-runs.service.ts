import { randomUUID } from 'node:crypto';

import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Queue, QueueEvents } from 'bullmq';
import { EntityManager, In, Not, Repository } from 'typeorm';

import type { Principal } from '../core/auth/principal';
import { untilAvailable } from '../core/database/until-available';
import { EnvService } from '../core/env/env.service';
import { AppException } from '../core/errors/app.exception';
import { ErrorCode } from '../core/errors/error-code';
import type { EventType } from '../core/events/event-catalogue';
import { Emit, EventsService } from '../core/events/events.service';
import { ListQueryDto, Page, page } from '../core/http/list-query.dto';
import { JobProducer } from '../core/queue/job-producer';
import { QUEUE_PREFIX, SKILL_RUNS_QUEUE, SkillRunJob } from '../core/queue/queues';
import { bullConnection, withTimeout } from '../core/queue/redis-connection';
import { MetricsService } from '../metrics/metrics.service';
import { SKILL_NAME } from './dto/create-skill.dto';
import type { ParamValue } from './dto/run-skill.dto';
import type { SkillRunResponseDto } from './dto/skill-run-response.dto';
import { FINISHED, SkillRunEntity } from './entities/skill-run.entity';
import type { ScriptResult } from './runner/script-runner';
import { RunEnd, RunSkill, SkillRunsRepository } from './skill-runs.repository';
import { SkillsService } from './skills.service';

const PARAM_KEY = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const MAX_PARAMS = 64;
const MAX_PARAM_CHARS = 32_768;

function finishedEvent(run: SkillRunEntity): EventType {
  return run.status === 'succeeded' ? 'skill.run.completed' : 'skill.run.failed';
}

export interface StartedRun {
  run: SkillRunEntity;
  skill: RunSkill;
}

/** Checks params as SPEC §8 asks: scalar values, keys that are safe variable names, no clashes. */
export function validateParams(
  params: Record<string, unknown> | undefined,
): Record<string, ParamValue> {
  const fields: { field: string; message: string }[] = [];
  const entries = Object.entries(params ?? {});
  if (entries.length > MAX_PARAMS)
    fields.push({ field: 'params', message: `at most ${MAX_PARAMS} params` });
  const seen = new Set<string>();
  for (const [key, value] of entries) {
    const field = `params.${key}`;
    if (!PARAM_KEY.test(key))
      fields.push({ field, message: 'keys must match ^[A-Za-z_][A-Za-z0-9_]{0,63}$' });
    else if (seen.has(key.toUpperCase()))
      fields.push({ field, message: `clashes with another key as PARAM_${key.toUpperCase()}` });
    seen.add(key.toUpperCase());
    if (
      !['string', 'number', 'boolean'].includes(typeof value) ||
      (typeof value === 'number' && !Number.isFinite(value))
    ) {
      fields.push({ field, message: 'values must be strings, numbers or booleans' });
    } else if (typeof value === 'string' && value.length > MAX_PARAM_CHARS) {
      fields.push({ field, message: `values must be at most ${MAX_PARAM_CHARS} characters` });
    }
  }
  if (fields.length > 0) throw AppException.validation(fields);
  return (params ?? {}) as Record<string, ParamValue>;
}

@Injectable()
export class SkillRunsService implements OnModuleDestroy {
  private readonly logger = new Logger(SkillRunsService.name);
  private jobEvents?: QueueEvents;

  constructor(
    @InjectRepository(SkillRunEntity) private readonly runs: Repository<SkillRunEntity>,
    private readonly repository: SkillRunsRepository,
    @InjectQueue(SKILL_RUNS_QUEUE) private readonly queue: Queue<SkillRunJob>,
    private readonly skills: SkillsService,
    private readonly producer: JobProducer,
    private readonly env: EnvService,
    private readonly events: EventsService,
    private readonly metrics: MetricsService,
  ) {}

  /** The row first, then the job with the row's id, so a run is never lost between the two. */
  async enqueue(actor: Principal, name: string, rawParams: Record<string, unknown> | undefined) {
    let params: Record<string, ParamValue>;
    try {
      params = validateParams(rawParams);
    } catch (err) {
      // An unknown skill is a 404 whatever the params.
      await this.skills.findByName(name);
      throw err;
    }
    if (!SKILL_NAME.test(name)) throw new AppException(ErrorCode.SKILL_NOT_FOUND);
    const entity = this.runs.create({
      id: randomUUID(),
      skillId: '',
      userId: actor.userId,
      status: 'queued',
      exitCode: null,
      stdout: '',
      stderr: '',
      outputTruncated: false,
      durationMs: null,
      createdAt: new Date(),
      startedAt: null,
      finishedAt: null,
    });
    // Set after create(): its copy of plain objects skips keys such as `constructor`.
    entity.params = params;
    if (!(await this.repository.insertQueued(name, entity)))
      throw new AppException(ErrorCode.SKILL_NOT_FOUND);
    const run = entity;
    const queued = await this.addJob(run.id).then(
      () => true,
      (err: Error) => {
        // The row is the truth: the run reconciler enqueues it once Redis answers again.
        this.logger.warn(`Run ${run.id} not enqueued (the reconciler will): ${err.message}`);
        return false;
      },
    );
    return { run, skill: name, queued };
  }

  /** The run's job, with the run's id as job id so a re-enqueue never makes a second one. */
  addJob(runId: string): Promise<void> {
    return this.producer.add(SKILL_RUNS_QUEUE, [{ id: runId, data: { runId } }]);
  }

  /** Waits for the worker up to SKILL_RUN_WAIT_MS, then answers the run as it stands. */
  async runAndWait(
    actor: Principal,
    name: string,
    params: Record<string, unknown> | undefined,
    wait: boolean,
  ) {
    const { run, skill, queued } = await this.enqueue(actor, name, params);
    const waitMs = this.env.get('SKILL_RUN_WAIT_MS');
    // Not waiting (or Redis is away): the run as just queued, without reading it back.
    if (!wait || waitMs <= 0 || !queued)
      return { run: this.toResponse(run, skill), finished: false };
    const job = await withTimeout(
      this.queue.getJob(run.id),
      this.env.get('REDIS_COMMAND_TIMEOUT_MS'),
      'Looking up a run job',
    ).catch(() => undefined);
    if (job) await job.waitUntilFinished(this.queueEvents(), waitMs).catch(() => undefined);
    const current = (await this.runs.findOneBy({ id: run.id })) ?? run;
    return {
      run: this.toResponse(current, skill),
      finished: FINISHED.includes(current.status),
    };
  }

  async list(
    actor: Principal,
    name: string,
    query: ListQueryDto,
  ): Promise<Page<SkillRunResponseDto>> {
    const skill = await this.skills.findByName(name);
    const [rows, total] = await this.runs.findAndCount({
      where: { skillId: skill.id, ...(actor.role === 'admin' ? {} : { userId: actor.userId }) },
      order: { createdAt: query.order, id: query.order },
      take: query.limit,
      skip: query.offset,
    });
    return page(
      rows.map((r) => this.toResponse(r, skill.name)),
      total,
      query,
    );
  }

  async get(actor: Principal, name: string, id: string): Promise<SkillRunResponseDto> {
    const skill = await this.skills.findByName(name);
    const run = await this.runs.findOneBy({
      id,
      skillId: skill.id,
      ...(actor.role === 'admin' ? {} : { userId: actor.userId }),
    });
    if (!run) throw new AppException(ErrorCode.SKILL_RUN_NOT_FOUND);
    return this.toResponse(run, skill.name);
  }

  /**
   * Marks a queued run running; null when it no longer exists (its skill was deleted), `notQueued`
   * when another job already took it (one re-enqueued after Redis lost the first): one script run.
   * Retried while the database is unreachable, so a run is never left behind by an outage.
   */
  async start(runId: string): Promise<StartedRun | { notQueued: SkillRunEntity } | null> {
    return untilAvailable(
      async () => {
        const taken = await this.repository.take(runId, new Date());
        if (!taken) return null;
        return taken.skill ? { run: taken.run, skill: taken.skill } : { notQueued: taken.run };
      },
      this.logger,
      `Starting run ${runId}`,
    );
  }

  async finish({ run, skill }: StartedRun, result: ScriptResult): Promise<void> {
    const changes: RunEnd = {
      status: result.status,
      exitCode: result.exitCode,
      stdout: result.stdout,
      stderr: result.stderr,
      outputTruncated: result.outputTruncated,
      durationMs: result.durationMs,
      finishedAt: new Date(),
    };
    const finished: SkillRunEntity = Object.assign({}, run, changes);
    const type = finishedEvent(finished);
    const audience = { userId: run.userId };
    // Only a run still running: the reconciler may have ended it meanwhile, and its end stands.
    const target = { id: run.id, status: 'running' as const };
    await untilAvailable(
      async () => {
        // No transaction (and no outbox) when nobody listens: one UPDATE.
        if (await this.events.hasListeners(type, audience)) {
          await this.events.transaction(this.runs.manager.connection, async (tx, emit) => {
            const updated = await tx.update(SkillRunEntity, target, changes);
            // Deleted with its skill meanwhile: nothing to announce.
            if (updated.affected) await emit(type, audience, this.toResponse(finished, skill.name));
          });
        } else {
          await this.repository.end(run.id, changes);
        }
      },
      this.logger,
      `Finishing run ${run.id}`,
    );
    this.metrics.countJob('skill_runs', result.status);
  }

  /** skill.run.completed for a success, skill.run.failed otherwise, to the runner's webhooks. */
  private async emitFinished(tx: EntityManager, runId: string, emit: Emit): Promise<void> {
    const run = await tx.findOne(SkillRunEntity, {
      where: { id: runId },
      relations: { skill: true },
    });
    if (!run?.skill) return;
    await emit(finishedEvent(run), { userId: run.userId }, this.toResponse(run, run.skill.name));
  }

  /** A run whose job failed outside the script (a worker that died twice, an error of ours). */
  async fail(runId: string, reason: string): Promise<void> {
    await untilAvailable(() => this.failOnce(runId, reason), this.logger, `Failing run ${runId}`);
  }

  private async failOnce(runId: string, reason: string): Promise<void> {
    const run = await this.runs.findOneBy({ id: runId });
    if (!run || FINISHED.includes(run.status)) return;
    const finishedAt = new Date();
    await this.events.transaction(this.runs.manager.connection, async (tx, emit) => {
      const ended = await tx.update(
        SkillRunEntity,
        { id: runId, status: Not(In([...FINISHED])) },
        {
          status: 'failed',
          exitCode: null,
          stderr: `${run.stderr}${run.stderr ? '\n' : ''}[openclaw] ${reason}`,
          durationMs: run.startedAt ? finishedAt.getTime() - run.startedAt.getTime() : null,
          finishedAt,
        },
      );
      if (ended.affected) await this.emitFinished(tx, runId, emit);
    });
    this.metrics.countJob('skill_runs', 'failed');
    this.logger.warn(`Run ${runId} failed: ${reason}`);
  }

  private queueEvents(): QueueEvents {
    this.jobEvents ??= new QueueEvents(SKILL_RUNS_QUEUE, {
      connection: bullConnection(this.env.get('REDIS_URL')),
      prefix: QUEUE_PREFIX,
    });
    return this.jobEvents;
  }

  async onModuleDestroy(): Promise<void> {
    await this.jobEvents?.close();
  }

  toResponse(run: SkillRunEntity, skill: string): SkillRunResponseDto {
    return {
      id: run.id,
      skill,
      status: run.status,
      params: run.params,
      exit_code: run.exitCode,
      stdout: run.stdout,
      stderr: run.stderr,
      output_truncated: run.outputTruncated,
      duration_ms: run.durationMs,
      created_at: run.createdAt,
      started_at: run.startedAt,
      finished_at: run.finishedAt,
    };
  }
}
