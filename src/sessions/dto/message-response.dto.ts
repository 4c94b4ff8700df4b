import { ApiProperty } from '@nestjs/swagger';

import { ListResponse } from '../../core/http/list-response';
import type { MessageRole, MessageStatus } from '../entities/message.entity';

export class MessageResponseDto {
  id: string;
  session_id: string;
  role: MessageRole;
  content: string;
  /** The model of the turn the message belongs to (on the user's message too); null when unknown. */
  model: string | null;
  @ApiProperty({ type: 'integer', minimum: 0 })
  tokens: number;
  /** `incomplete` when the reply stopped early (a broken or abandoned stream). */
  status: MessageStatus;
  created_at: Date;
}

export class MessageListDto extends ListResponse(MessageResponseDto) {}
