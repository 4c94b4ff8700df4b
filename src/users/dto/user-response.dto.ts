import type { Role } from '../entities/user.entity';

export interface UserResponseDto {
  id: string;
  email: string;
  name: string | null;
  role: Role;
  disabled: boolean;
  created_at: Date;
  updated_at: Date;
}
