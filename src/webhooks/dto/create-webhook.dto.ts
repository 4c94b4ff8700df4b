import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsString, MaxLength } from 'class-validator';

import { ALL_EVENTS, EVENT_TYPES } from '../../core/events/event-catalogue';
import { Optional } from '../../core/http/optional.decorator';

export const EVENT_NAMES = [...EVENT_TYPES, ALL_EVENTS];

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
