import { IsOptional, IsUUID } from 'class-validator';

import { ListQueryDto } from '../../core/http/list-query.dto';

export class ListApiKeysQueryDto extends ListQueryDto {
  /** Admins only: list this user's keys instead of their own. */
  @IsOptional()
  @IsUUID()
  user_id?: string;
}
