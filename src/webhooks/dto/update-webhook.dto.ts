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
import { EVENT_NAMES } from './create-webhook.dto';

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
