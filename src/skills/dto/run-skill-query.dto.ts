import { IsIn } from 'class-validator';

import { Optional } from '../../core/http/optional.decorator';

export class RunSkillQueryDto {
  @Optional()
  @IsIn(['true', 'false'])
  wait?: 'true' | 'false';
}
