import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsEmail,
  IsIn,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  Length,
  MaxLength,
  ValidateNested,
} from 'class-validator';

import { UserQuotaDto } from '../../core/auth/user-quota.dto';
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

  /**
   * Admins only: the user's limits; null (the default) means the config's `default_user_quota`
   * applies, `{}` means no limit at all for this user.
   */
  @ApiProperty({ type: UserQuotaDto, nullable: true, required: false })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => UserQuotaDto)
  quota?: UserQuotaDto | null;
}
