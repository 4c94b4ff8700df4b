import { IsInt, IsNumber, IsString, Length, Max, MaxLength, Min } from 'class-validator';

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
}
