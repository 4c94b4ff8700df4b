import { ApiProperty } from '@nestjs/swagger';

import { ListResponse } from '../../core/http/list-response';
import type { DeliveryStatus } from '../entities/webhook-delivery.entity';

export class AttemptResponseDto {
  @ApiProperty({ type: 'integer', minimum: 1 })
  attempt: number;
  /** The receiver's HTTP status; null when no answer came (network error, timeout). */
  @ApiProperty({ type: 'integer' })
  status_code: number | null;
  @ApiProperty({ type: 'integer', minimum: 0 })
  duration_ms: number;
  error: string | null;
  /** The first KiB of the receiver's answer. */
  response_body: string | null;
  created_at: Date;
}

export class DeliveryResponseDto {
  id: string;
  webhook_id: string;
  event_id: string;
  /** The event's type, e.g. `session.created` or `webhook.test`. */
  event_type: string;
  status: DeliveryStatus;
  attempts: AttemptResponseDto[];
  /** When the next attempt is due; null unless pending. */
  next_attempt_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export class DeliveryListDto extends ListResponse(DeliveryResponseDto) {}
