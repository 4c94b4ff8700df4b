import { IsOptional, IsUUID } from 'class-validator';

import { ListQueryDto } from '../../core/http/list-query.dto';

export class ListApiKeysQueryDto extends ListQueryDto {
  /** Admins only: list this user's keys instead of their own. */
  @IsOptional()
  // Checked here: the id pipe covers ids in the path, not in the query.
  @IsUUID()
  user_id?: string;
}
