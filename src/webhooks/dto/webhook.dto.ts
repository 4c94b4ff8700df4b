import { ApiProperty } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsString,
  MaxLength,
} from 'class-validator';

import { ALL_EVENTS, EVENT_TYPES } from '../../core/events/event-catalogue';
import { ListResponse } from '../../core/http/list-response';
import { Optional } from '../../core/http/optional.decorator';
import type { DeliveryStatus } from '../entities/webhook-delivery.entity';

const EVENT_NAMES = [...EVENT_TYPES, ALL_EVENTS];

export class CreateWebhookDto {
  @IsString()
  @MaxLength(2048)
  url: string;

  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(EVENT_NAMES.length)
  @IsIn(EVENT_NAMES, {
    each: true,
    message: `each event must be one of: ${EVENT_NAMES.join(', ')}`,
  })
  events: string[];

  @Optional()
  @IsString()
  @MaxLength(500)
  description?: string;
}

export class UpdateWebhookDto {
  @Optional()
  @IsString()
  @MaxLength(2048)
  url?: string;

  @Optional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(EVENT_NAMES.length)
  @IsIn(EVENT_NAMES, {
    each: true,
    message: `each event must be one of: ${EVENT_NAMES.join(', ')}`,
  })
  events?: string[];

  @Optional()
  @IsBoolean()
  active?: boolean;

  @Optional()
  @IsString()
  @MaxLength(500)
  description?: string;
}

export class WebhookResponseDto {
  id: string;
  url: string;
  @ApiProperty({ enum: EVENT_NAMES, isArray: true })
  events: string[];
  description: string;
  active: boolean;
  /** The signing secret (`whsec_…`): only when created and when rotated. */
  secret?: string;
  created_at: Date;
  updated_at: Date;
}

export class WebhookListDto extends ListResponse(WebhookResponseDto) {}

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
