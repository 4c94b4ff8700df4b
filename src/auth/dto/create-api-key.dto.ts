import { IsDateString, IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';

import { NotBlank } from '../../core/http/not-blank.decorator';

export class CreateApiKeyDto {
  @IsString()
  @IsNotEmpty()
  @NotBlank()
  @MaxLength(100)
  name: string;

  @IsOptional()
  @IsDateString({ strict: true }, { message: 'expires_at must be an ISO 8601 date-time' })
  expires_at?: string;
}
