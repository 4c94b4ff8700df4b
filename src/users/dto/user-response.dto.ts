import { ListResponse } from '../../core/http/list-response';
import type { Role } from '../entities/user.entity';

export class UserResponseDto {
  id: string;
  email: string;
  name: string | null;
  role: Role;
  disabled: boolean;
  created_at: Date;
  updated_at: Date;
}

export class UserListDto extends ListResponse(UserResponseDto) {}
