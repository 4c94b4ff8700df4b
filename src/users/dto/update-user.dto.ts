import { IsBoolean, IsEmail, IsIn, IsNotEmpty, IsString, Length, MaxLength } from 'class-validator';

import { NotBlank } from '../../core/http/not-blank.decorator';
import { Optional } from '../../core/http/optional.decorator';
import { Role, ROLES } from '../entities/user.entity';

export class UpdateUserDto {
  @Optional()
  @IsString()
  @Length(1, 100)
  @NotBlank()
  name?: string;

  @Optional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(254)
  @IsEmail()
  email?: string;

  @Optional()
  @IsString()
  @Length(8, 128)
  password?: string;

  /** Needed when a user changes their own email or password; an admin changing another user needs none. */
  @Optional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(128)
  current_password?: string;

  /** Admins only. */
  @Optional()
  @IsIn(ROLES)
  role?: Role;

  /** Admins only. */
  @Optional()
  @IsBoolean()
  disabled?: boolean;
}
