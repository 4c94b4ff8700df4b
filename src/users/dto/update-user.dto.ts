import {
  IsBoolean,
  IsEmail,
  IsIn,
  IsNotEmpty,
  IsOptional,
  IsString,
  Length,
  MaxLength,
} from 'class-validator';

import { Role, ROLES } from '../entities/user.entity';

export class UpdateUserDto {
  @IsOptional()
  @IsString()
  @Length(1, 100)
  name?: string;

  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(254)
  @IsEmail()
  email?: string;

  @IsOptional()
  @IsString()
  @Length(8, 128)
  password?: string;

  /** Admins only. */
  @IsOptional()
  @IsIn(ROLES)
  role?: Role;

  /** Admins only. */
  @IsOptional()
  @IsBoolean()
  disabled?: boolean;
}
