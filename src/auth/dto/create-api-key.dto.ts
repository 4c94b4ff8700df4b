import {
  IsDateString,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
} from 'class-validator';

import { NotBlank } from '../../core/http/not-blank.decorator';

export class CreateApiKeyDto {
  @IsString()
  @IsNotEmpty()
  @NotBlank()
  @MaxLength(100)
  name: string;

  @IsOptional()
  @IsDateString({ strict: true }, { message: 'expires_at must be an ISO 8601 date-time' })
  expires_at?: string;

  /** The key's own, lower limit; the key still shares its user's `RATE_LIMIT_PER_MINUTE` too. */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  rate_limit_per_minute?: number | null;
}
