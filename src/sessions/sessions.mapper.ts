import type { MessageResponseDto } from './dto/message-response.dto';
import type { SessionResponseDto } from './dto/session-response.dto';
import type { MessageEntity } from './entities/message.entity';
import type { SessionEntity } from './entities/session.entity';

export function toSessionDto(
  s: Pick<SessionEntity, 'id' | 'name' | 'model' | 'createdAt' | 'updatedAt'>,
): SessionResponseDto {
  return {
    id: s.id,
    name: s.name,
    model: s.model,
    created_at: s.createdAt,
    updated_at: s.updatedAt,
  };
}

export function toMessageDto(m: MessageEntity): MessageResponseDto {
  return {
    id: m.id,
    session_id: m.sessionId,
    role: m.role,
    content: m.content,
    model: m.model,
    tokens: m.tokens,
    status: m.status,
    created_at: m.createdAt,
  };
}
