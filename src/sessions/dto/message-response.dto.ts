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

/**
 * A message as a page lists it: `created_at` already in its JSON form (ISO 8601, UTC, to the
 * millisecond), written by the database, because parsing a `Date` only to print it again cost a
 * tenth of a page's CPU (bench/results/2026-12-06.md, row 7).
 */
export type MessagePageRow = Omit<MessageResponseDto, 'created_at'> & { created_at: string };

export class MessageListDto extends ListResponse(MessageResponseDto) {}
