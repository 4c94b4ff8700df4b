import { IsInt, IsNotEmpty, IsString, Matches, MaxLength, Min } from 'class-validator';

import { NotBlank } from '../../core/http/not-blank.decorator';
import { Optional } from '../../core/http/optional.decorator';

export const SKILL_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;

export class CreateSkillDto {
  @IsString()
  @Matches(SKILL_NAME, { message: 'name must match ^[a-z0-9][a-z0-9_-]{0,63}$' })
  name: string;

  @Optional()
  @IsString()
  @MaxLength(1000)
  description?: string;

  @IsString()
  @IsNotEmpty()
  @NotBlank()
  @MaxLength(100_000)
  script: string;

  /** Default SKILL_TIMEOUT_MS; capped by SKILL_MAX_TIMEOUT_MS, checked in the service. */
  @Optional()
  @IsInt()
  @Min(100)
  timeout_ms?: number;
}
