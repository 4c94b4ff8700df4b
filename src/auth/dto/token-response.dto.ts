import { ApiProperty } from '@nestjs/swagger';

export class TokenResponseDto {
  /** A JWT: send it as `Authorization: Bearer <access_token>`. */
  access_token: string;
  @ApiProperty({ enum: ['Bearer'] })
  token_type: 'Bearer';
  /** Seconds until the token expires. */
  @ApiProperty({ type: 'integer', minimum: 1, example: 3600 })
  expires_in: number;
}
