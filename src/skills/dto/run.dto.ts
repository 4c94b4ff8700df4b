import { IsIn, IsObject } from 'class-validator';

import { Optional } from '../../core/http/optional.decorator';
import type { RunStatus } from '../entities/skill-run.entity';

export type ParamValue = string | number | boolean;

export class RunSkillDto {
  /** Keys and values are checked in the service: `^[A-Za-z_][A-Za-z0-9_]{0,63}$`, scalar values. */
  @Optional()
  @IsObject()
  params?: Record<string, ParamValue>;
}

export class RunSkillQueryDto {
  @Optional()
  @IsIn(['true', 'false'])
  wait?: 'true' | 'false';
}

export interface SkillRunResponseDto {
  id: string;
  skill: string;
  status: RunStatus;
  params: Record<string, ParamValue>;
  exit_code: number | null;
  stdout: string;
  stderr: string;
  output_truncated: boolean;
  duration_ms: number | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}
