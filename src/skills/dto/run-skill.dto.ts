import { IsObject } from 'class-validator';

import { Optional } from '../../core/http/optional.decorator';

export type ParamValue = string | number | boolean;

export class RunSkillDto {
  /** Keys and values are checked in the service: `^[A-Za-z_][A-Za-z0-9_]{0,63}$`, scalar values. */
  @Optional()
  @IsObject()
  params?: Record<string, ParamValue>;
}
