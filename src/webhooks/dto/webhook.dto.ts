import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsString,
  MaxLength,
} from 'class-validator';

import { Optional } from '../../core/http/optional.decorator';
import { ALL_EVENTS, EVENT_TYPES } from '../webhook-events';

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

export interface WebhookResponseDto {
  id: string;
  url: string;
  events: string[];
  description: string;
  active: boolean;
  /** Only when created and when rotated. */
  secret?: string;
  created_at: Date;
  updated_at: Date;
}

export interface AttemptResponseDto {
  attempt: number;
  status_code: number | null;
  duration_ms: number;
  error: string | null;
  response_body: string | null;
  created_at: Date;
}

export interface DeliveryResponseDto {
  id: string;
  webhook_id: string;
  event_id: string;
  event_type: string;
  status: string;
  attempts: AttemptResponseDto[];
  next_attempt_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export interface TestDeliveryResponseDto {
  delivery_id: string;
  success: boolean;
  status_code: number | null;
  duration_ms: number;
  error: string | null;
}
