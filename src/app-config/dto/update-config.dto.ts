import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsInt,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  Length,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';

import { UserQuotaDto } from '../../core/auth/user-quota.dto';
import { Optional } from '../../core/http/optional.decorator';

export class UpdateConfigDto {
  @Optional()
  @IsString()
  @Length(1, 100)
  model?: string;

  @Optional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(2)
  temperature?: number;

  @Optional()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  max_tokens?: number;

  /** An empty string removes the system prompt. */
  @Optional()
  @IsString()
  @MaxLength(32_000)
  system_prompt?: string;

  /** The quota of every user whose own `quota` is null; null: no limit. */
  @ApiProperty({ type: UserQuotaDto, nullable: true, required: false })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => UserQuotaDto)
  default_user_quota?: UserQuotaDto | null;
}
