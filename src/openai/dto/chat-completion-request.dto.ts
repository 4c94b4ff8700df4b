import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  Length,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';

import { IgnoreUnknownFields } from '../../core/http/app-validation.pipe';

export class StreamOptionsDto {
  /** Send a last chunk with `usage` (and no choices) before `[DONE]`. */
  @IsOptional()
  @IsBoolean()
  include_usage?: boolean;
}

/**
 * OpenAI's Chat Completions request. Unknown fields are ignored, as OpenAI-compatible clients send
 * fields of newer API versions; `null` counts as absent, as it does for OpenAI.
 */
@IgnoreUnknownFields()
export class ChatCompletionRequestDto {
  @IsString()
  @Length(1, 100)
  model: string;

  /**
   * `{role, content, name?}` with role `system`, `developer`, `user` or `assistant`; content a
   * string or an array of `{type: "text", text}` parts.
   */
  @ApiProperty({ type: 'array', items: { type: 'object', additionalProperties: true } })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(10_000)
  messages: unknown[];

  @IsOptional()
  @IsBoolean()
  stream?: boolean;

  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => StreamOptionsDto)
  stream_options?: StreamOptionsDto;

  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(2)
  temperature?: number;

  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(1)
  top_p?: number;

  /** Only one choice per request is generated. */
  @IsOptional()
  @IsInt()
  @IsIn([1], { message: 'n must be 1: one choice per request is supported' })
  n?: number;

  @IsOptional()
  @IsInt()
  @Min(1)
  max_tokens?: number;

  @IsOptional()
  @IsInt()
  @Min(1)
  max_completion_tokens?: number;

  /** A string or up to 4 strings. */
  @ApiProperty({
    required: false,
    oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
  })
  @IsOptional()
  stop?: string | string[];

  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(-2)
  @Max(2)
  presence_penalty?: number;

  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(-2)
  @Max(2)
  frequency_penalty?: number;

  @IsOptional()
  @IsInt()
  seed?: number;

  /** The end user, passed on to the provider. */
  @IsOptional()
  @IsString()
  @MaxLength(256)
  user?: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'number' } })
  @IsOptional()
  @IsObject()
  logit_bias?: Record<string, number>;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  @IsOptional()
  @IsObject()
  response_format?: Record<string, unknown>;

  /** Tool calling is not offered: a non-empty list is a 400. */
  @ApiProperty({ required: false, type: 'array', items: { type: 'object' }, maxItems: 0 })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(0, { message: 'tools are not supported by this server' })
  tools?: unknown[];

  @ApiProperty({ required: false, enum: [false] })
  @IsOptional()
  @IsIn([false], { message: 'logprobs are not supported by this server' })
  logprobs?: boolean;
}

/** Ensures `stop` is a string or at most 4 strings, as OpenAI does. */
export function stopProblem(stop: unknown): string | undefined {
  if (stop === undefined || stop === null || typeof stop === 'string') return undefined;
  if (Array.isArray(stop) && stop.length <= 4 && stop.every((s) => typeof s === 'string'))
    return undefined;
  return 'stop must be a string or an array of at most 4 strings';
}
