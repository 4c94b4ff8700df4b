import { IsEmail, IsIn, IsNotEmpty, IsString, Length, MaxLength } from 'class-validator';

import { NotBlank } from '../../core/http/not-blank.decorator';
import { Optional } from '../../core/http/optional.decorator';
import { Role, ROLES } from '../entities/user.entity';

export class CreateUserDto {
  @IsString()
  @IsNotEmpty()
  @MaxLength(254)
  @IsEmail()
  email: string;

  @IsString()
  @Length(8, 128)
  password: string;

  @Optional()
  @IsString()
  @Length(1, 100)
  @NotBlank()
  name?: string;

  @Optional()
  @IsIn(ROLES)
  role?: Role;
}
