import { ApiProperty } from '@nestjs/swagger';
import { IsNotEmpty, IsNumber, IsString, Length, Max, MaxLength, Min } from 'class-validator';

import { NotBlank } from '../../core/http/not-blank.decorator';
import { Optional } from '../../core/http/optional.decorator';

export class ChatRequestDto {
  @IsString()
  @IsNotEmpty()
  @NotBlank()
  @MaxLength(100_000)
  message: string;

  /** Checked against the caller's sessions: malformed, unknown or foreign ids are a 404. */
  @Optional()
  @IsString()
  @MaxLength(100)
  session_id?: string;

  @Optional()
  @IsString()
  @Length(1, 100)
  model?: string;

  @Optional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(2)
  temperature?: number;
}

export class TokenUsageDto {
  @ApiProperty({ type: 'integer', minimum: 0 })
  input: number;
  @ApiProperty({ type: 'integer', minimum: 0 })
  output: number;
}

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
