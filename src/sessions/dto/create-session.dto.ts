import { IsString, Length } from 'class-validator';

import { NotBlank } from '../../core/http/not-blank.decorator';
import { Optional } from '../../core/http/optional.decorator';

export class CreateSessionDto {
  @Optional()
  @IsString()
  @Length(1, 200)
  @NotBlank()
  name?: string;

  @Optional()
  @IsString()
  @Length(1, 100)
  model?: string;
}
