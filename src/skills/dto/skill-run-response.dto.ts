import { ApiProperty } from '@nestjs/swagger';

import { ListResponse } from '../../core/http/list-response';
import type { RunStatus } from '../entities/skill-run.entity';
import type { ParamValue } from './run-skill.dto';

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
