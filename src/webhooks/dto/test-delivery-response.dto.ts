import { ApiProperty } from '@nestjs/swagger';

export class TestDeliveryResponseDto {
  delivery_id: string;
  /** The receiver answered 2xx. */
  success: boolean;
  @ApiProperty({ type: 'integer' })
  status_code: number | null;
  @ApiProperty({ type: 'integer', minimum: 0 })
  duration_ms: number;
  error: string | null;
}
