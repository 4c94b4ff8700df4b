import { ApiProperty } from '@nestjs/swagger';

import { UserQuotaDto } from '../../core/auth/user-quota.dto';

export class ConfigResponseDto {
  /** The model used when a chat or session names none. */
  model: string;
  @ApiProperty({ minimum: 0, maximum: 2, example: 0.7 })
  temperature: number;
  @ApiProperty({ type: 'integer', minimum: 1, example: 4096 })
  max_tokens: number;
  /** Empty when there is none. */
  system_prompt: string;
  /** The quota of every user whose own `quota` is null; null: no limit. */
  @ApiProperty({ type: UserQuotaDto, nullable: true })
  default_user_quota: UserQuotaDto | null;
}
