import { TokenUsageDto } from './token-usage.dto';

/** `data:` of each text chunk of POST /chat/stream. */
export class ChatStreamChunkDto {
  text: string;
}

/** `event: usage` of POST /chat/stream, sent once the reply is complete and stored. */
export class ChatStreamUsageDto {
  session_id: string;
  message_id: string;
  tokens: TokenUsageDto;
}
