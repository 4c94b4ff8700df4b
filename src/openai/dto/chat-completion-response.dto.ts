import { ApiProperty } from '@nestjs/swagger';

export class CompletionUsageDto {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export class CompletionMessageDto {
  @ApiProperty({ enum: ['assistant'] })
  role: 'assistant';
  content: string;
  @ApiProperty({ type: 'string', nullable: true })
  refusal: null;
}

export class CompletionChoiceDto {
  index: number;
  message: CompletionMessageDto;
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true, example: null })
  logprobs: null;
  /** `stop`, or the provider's own reason (`length`, …). */
  finish_reason: string;
}

/** OpenAI's `chat.completion` object. */
export class ChatCompletionDto {
  /** `chatcmpl-…`, unique per request. */
  id: string;
  @ApiProperty({ enum: ['chat.completion'] })
  object: 'chat.completion';
  /** Unix seconds. */
  created: number;
  model: string;
  choices: CompletionChoiceDto[];
  usage: CompletionUsageDto;
  @ApiProperty({ type: 'string', nullable: true })
  system_fingerprint: null;
}
