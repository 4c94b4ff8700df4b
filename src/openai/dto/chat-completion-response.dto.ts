import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** The provider's usage, as it sent it (with its details, if any); counted here when it sent none. */
export class CompletionUsageDto {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export class ToolCallFunctionDto {
  name: string;
  /** JSON text of the arguments, as the model wrote it. */
  arguments: string;
}

export class ToolCallDto {
  /** `call_…`: the `tool_call_id` of the `tool` message that answers it. */
  id: string;
  @ApiProperty({ enum: ['function'] })
  type: 'function';
  function: ToolCallFunctionDto;
}

export class CompletionMessageDto {
  @ApiProperty({ enum: ['assistant'] })
  role: 'assistant';
  /** The reply; `null` when the model only calls tools or refuses. */
  @ApiProperty({ type: 'string', nullable: true })
  content: string | null;
  @ApiProperty({ type: 'string', nullable: true })
  refusal: string | null;
  @ApiPropertyOptional({ type: [ToolCallDto] })
  tool_calls?: ToolCallDto[];
}

export class CompletionChoiceDto {
  index: number;
  message: CompletionMessageDto;
  /** With `logprobs: true`: `{content: [{token, logprob, bytes, top_logprobs}], refusal}`. */
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true, example: null })
  logprobs: Record<string, unknown> | null;
  /** `stop`, `length`, `tool_calls`, `content_filter`, or the provider's own reason. */
  finish_reason: string;
}

/** OpenAI's `chat.completion` object, as the provider answered it (SPEC §10). */
export class ChatCompletionDto {
  /** `chatcmpl-…`, unique per request. */
  id: string;
  @ApiProperty({ enum: ['chat.completion'] })
  object: 'chat.completion';
  /** Unix seconds. */
  created: number;
  model: string;
  /** One per `n`. */
  choices: CompletionChoiceDto[];
  usage: CompletionUsageDto;
  @ApiProperty({ type: 'string', nullable: true })
  system_fingerprint: string | null;
}
