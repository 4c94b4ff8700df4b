import { IsInt, IsNotEmpty, IsString, MaxLength, Min } from 'class-validator';

import { NotBlank } from '../../core/http/not-blank.decorator';
import { Optional } from '../../core/http/optional.decorator';

export class UpdateSkillDto {
  @Optional()
  @IsString()
  @MaxLength(1000)
  description?: string;

  @Optional()
  @IsString()
  @IsNotEmpty()
  @NotBlank()
  @MaxLength(100_000)
  script?: string;

  /** Capped by SKILL_MAX_TIMEOUT_MS, checked in the service. */
  @Optional()
  @IsInt()
  @Min(100)
  timeout_ms?: number;
}
