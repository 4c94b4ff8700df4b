import { IsNotEmpty, IsNumber, IsString, Length, Max, MaxLength, Min } from 'class-validator';

import { NotBlank } from '../../core/http/not-blank.decorator';
import { Optional } from '../../core/http/optional.decorator';

export class ChatRequestDto {
  @IsString()
  @IsNotEmpty()
  @NotBlank()
  @MaxLength(100_000)
  message: string;

  /** Checked against the caller's sessions: malformed, unknown or foreign ids are a 404. */
  @Optional()
  @IsString()
  @MaxLength(100)
  session_id?: string;

  @Optional()
  @IsString()
  @Length(1, 100)
  model?: string;

  @Optional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(2)
  temperature?: number;
}
