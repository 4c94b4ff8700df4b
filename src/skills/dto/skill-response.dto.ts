import { ApiProperty } from '@nestjs/swagger';

import { ListResponse } from '../../core/http/list-response';

export class SkillResponseDto {
  name: string;
  description: string;
  /** Admins only. */
  script?: string;
  @ApiProperty({ type: 'integer', minimum: 100 })
  timeout_ms: number;
  created_at: Date;
  updated_at: Date;
}

export class SkillListDto extends ListResponse(SkillResponseDto) {}
