import { ApiProperty } from '@nestjs/swagger';

export class TokenUsageDto {
  @ApiProperty({ type: 'integer', minimum: 0 })
  input: number;
  @ApiProperty({ type: 'integer', minimum: 0 })
  output: number;
}
