import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsObject } from 'class-validator';

import { ListResponse } from '../../core/http/list-response';
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

const PARAM_VALUE = { oneOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }] };

export class SkillRunResponseDto {
  id: string;
  /** The skill's name. */
  skill: string;
  status: RunStatus;
  @ApiProperty({ type: 'object', additionalProperties: PARAM_VALUE, example: { city: 'Paris' } })
  params: Record<string, ParamValue>;
  /** Null until the script has exited. */
  @ApiProperty({ type: 'integer' })
  exit_code: number | null;
  stdout: string;
  stderr: string;
  /** stdout or stderr was cut at the output limit. */
  output_truncated: boolean;
  @ApiProperty({ type: 'integer', minimum: 0 })
  duration_ms: number | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}

export class SkillRunListDto extends ListResponse(SkillRunResponseDto) {}
