import { ApiProperty } from '@nestjs/swagger';

import { UserQuotaDto } from '../../core/auth/user-quota.dto';
import { ListResponse } from '../../core/http/list-response';
import type { Role } from '../entities/user.entity';

export class UserResponseDto {
  id: string;
  email: string;
  name: string | null;
  role: Role;
  disabled: boolean;
  /** The user's own limits; null: the config's `default_user_quota` applies. */
  @ApiProperty({ type: UserQuotaDto, nullable: true })
  quota: UserQuotaDto | null;
  created_at: Date;
  updated_at: Date;
}

export class UserListDto extends ListResponse(UserResponseDto) {}
