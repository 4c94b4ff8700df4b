import {
  ArrayMaxSize,
  ArrayNotEmpty,
  ArrayUnique,
  IsArray,
  IsDateString,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  Length,
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

  /**
   * The only models this key may use (others: 403 MODEL_NOT_ALLOWED); each must be a model of
   * `GET /api/v1/models`, else 400. Left out or null: any model.
   */
  @IsOptional()
  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(100)
  @ArrayUnique()
  @IsString({ each: true })
  @Length(1, 100, { each: true })
  models?: string[] | null;

  /** The key's own daily token limit (input + output, UTC day), below the user's quota. */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1e15)
  tokens_per_day?: number | null;
}
