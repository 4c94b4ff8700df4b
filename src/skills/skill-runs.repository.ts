import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, Repository } from 'typeorm';

import { poolQuery } from '../core/database/pool-query';
import { SkillEntity } from './entities/skill.entity';
import { SkillRunEntity } from './entities/skill-run.entity';

/** What a worker needs of a run's skill. */
export type RunSkill = Pick<SkillEntity, 'name' | 'script' | 'timeoutMs'>;

/** The changes that end a run. */
export type RunEnd = Pick<
  SkillRunEntity,
  'status' | 'exitCode' | 'stdout' | 'stderr' | 'outputTruncated' | 'durationMs' | 'finishedAt'
>;

interface TakenRow {
  id: string;
  skill_id: string;
  user_id: string;
  status: SkillRunEntity['status'];
  params: string;
  exit_code: number | null;
  stdout: string;
  stderr: string;
  output_truncated: boolean;
  duration_ms: number | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  skill_name: string;
  skill_script: string;
  skill_timeout_ms: number;
}

// A run's three writes are its hot path (one each per run): on PostgreSQL they go straight to the
// pool as prepared statements, the skill lookup folded into the insert and the start's read into
// its update, so a run costs three round trips instead of five (bench row 9).
const INSERT_SQL = `INSERT INTO skill_runs (id, skill_id, user_id, status, params, exit_code, stdout, stderr,
    output_truncated, duration_ms, created_at, started_at, finished_at)
  SELECT $1::uuid, s.id, $3::uuid, 'queued', $4::text, NULL, '', '', false, NULL, $5::timestamptz, NULL, NULL
  FROM skills s WHERE s.name = $2
  RETURNING skill_id`;
const TAKE_SQL = `UPDATE skill_runs r SET status = 'running', started_at = $2 FROM skills s
  WHERE r.id = $1 AND r.status = 'queued' AND s.id = r.skill_id
  RETURNING r.*, s.name AS skill_name, s.script AS skill_script, s.timeout_ms AS skill_timeout_ms`;
const END_SQL = `UPDATE skill_runs SET status = $2, exit_code = $3, stdout = $4, stderr = $5,
    output_truncated = $6, duration_ms = $7, finished_at = $8
  WHERE id = $1 AND status = 'running'`;

/** Skill runs: the statements of a run's life, and which dialect gets which. */
@Injectable()
export class SkillRunsRepository {
  constructor(
    @InjectRepository(SkillRunEntity) private readonly runs: Repository<SkillRunEntity>,
    @InjectDataSource() private readonly db: DataSource,
  ) {}

  private get postgres(): boolean {
    return this.db.options.type === 'postgres';
  }

  /** Inserts the queued run of the skill named `skillName`; false when there is no such skill. */
  async insertQueued(skillName: string, run: SkillRunEntity): Promise<boolean> {
    if (this.postgres) {
      const rows = await poolQuery<{ skill_id: string }>(this.db, 'skill_run_insert', INSERT_SQL, [
        run.id,
        skillName,
        run.userId,
        JSON.stringify(run.params),
        run.createdAt,
      ]);
      if (rows.length === 0) return false;
      run.skillId = rows[0].skill_id;
      return true;
    }
    const skill = await this.runs.manager.findOne(SkillEntity, {
      select: { id: true },
      where: { name: skillName },
    });
    if (!skill) return false;
    run.skillId = skill.id;
    // Every column is set, so one INSERT (save() adds a transaction and a read back).
    await this.runs.insert(run);
    return true;
  }

  /**
   * Marks a queued run running and answers it with its skill; when it is not queued (or gone),
   * answers the run as it stands with no skill, or null.
   */
  async take(
    runId: string,
    startedAt: Date,
  ): Promise<{ run: SkillRunEntity; skill?: RunSkill } | null> {
    if (this.postgres) {
      const [row] = await poolQuery<TakenRow>(this.db, 'skill_run_take', TAKE_SQL, [
        runId,
        startedAt,
      ]);
      if (row) return { run: toEntity(row), skill: toSkill(row) };
      return this.findWithSkill(runId).then((run) => run && { run });
    }
    const run = await this.findWithSkill(runId);
    if (!run?.skill) return null;
    const taken = await this.runs.update(
      { id: runId, status: 'queued' },
      { status: 'running', startedAt },
    );
    if (!taken.affected) return { run };
    run.status = 'running';
    run.startedAt = startedAt;
    return { run, skill: run.skill };
  }

  /** Ends a run still running (the reconciler may have ended it meanwhile: its end stands). */
  async end(runId: string, end: RunEnd): Promise<void> {
    if (this.postgres) {
      await poolQuery(this.db, 'skill_run_end', END_SQL, [
        runId,
        end.status,
        end.exitCode,
        end.stdout,
        end.stderr,
        end.outputTruncated,
        end.durationMs,
        end.finishedAt,
      ]);
      return;
    }
    await this.runs.update({ id: runId, status: 'running' }, end);
  }

  /** One query with the join (findOne with relations adds a second, DISTINCT one). */
  private findWithSkill(runId: string): Promise<SkillRunEntity | null> {
    return this.runs
      .createQueryBuilder('r')
      .innerJoinAndSelect('r.skill', 's')
      .where('r.id = :id', { id: runId })
      .getOne();
  }
}

function toEntity(row: TakenRow): SkillRunEntity {
  return {
    id: row.id,
    skillId: row.skill_id,
    userId: row.user_id,
    status: row.status,
    params: JSON.parse(row.params) as SkillRunEntity['params'],
    exitCode: row.exit_code,
    stdout: row.stdout,
    stderr: row.stderr,
    outputTruncated: row.output_truncated,
    durationMs: row.duration_ms,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  };
}

function toSkill(row: TakenRow): RunSkill {
  return { name: row.skill_name, script: row.skill_script, timeoutMs: row.skill_timeout_ms };
}
