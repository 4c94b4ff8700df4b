import { TokenUsageDto } from './token-usage.dto';

export class ChatResponseDto {
  /** The assistant's reply. */
  response: string;
  /** The session the turn was stored in: the one sent, or a new one. */
  session_id: string;
  /** The stored assistant message. */
  message_id: string;
  model: string;
  tokens: TokenUsageDto;
}
