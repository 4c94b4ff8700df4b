import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length } from 'class-validator';

import { ListResponse } from '../../core/http/list-response';
import { NotBlank } from '../../core/http/not-blank.decorator';
import { Optional } from '../../core/http/optional.decorator';
import type { MessageRole, MessageStatus } from '../entities/message.entity';

export class CreateSessionDto {
  @Optional()
  @IsString()
  @Length(1, 200)
  @NotBlank()
  name?: string;

  @Optional()
  @IsString()
  @Length(1, 100)
  model?: string;
}

export class UpdateSessionDto extends CreateSessionDto {}

export class SessionResponseDto {
  id: string;
  name: string;
  /** The session's own model; null means the configured default. */
  model: string | null;
  created_at: Date;
  updated_at: Date;
}

export class SessionListDto extends ListResponse(SessionResponseDto) {}

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
