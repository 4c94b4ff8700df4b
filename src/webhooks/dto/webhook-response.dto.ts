import { ApiProperty } from '@nestjs/swagger';

import { ListResponse } from '../../core/http/list-response';
import { EVENT_NAMES } from './create-webhook.dto';

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
