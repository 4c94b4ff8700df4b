import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  Allow,
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
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

/** An optional list of up to 128 objects, passed on as they are (`tools`, `functions`). */
const ObjectList = () =>
  applyDecorators(
    ApiProperty({
      required: false,
      type: 'array',
      items: { type: 'object', additionalProperties: true },
    }),
    IsOptional(),
    IsArray(),
    ArrayMaxSize(128),
    IsObject({ each: true }),
  );

/** A mode name or an object naming a tool, passed on as it is (`tool_choice`, `function_call`). */
const NameOrObject = () =>
  applyDecorators(
    ApiProperty({
      required: false,
      oneOf: [{ type: 'string' }, { type: 'object', additionalProperties: true }],
    }),
    Allow(),
  );

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
   * OpenAI's messages (`system`, `developer`, `user`, `assistant` with `tool_calls`, `tool`), passed
   * to the provider as sent; content a string or an array of parts (text, images, audio, files).
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

  /** How many choices to generate. */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(128)
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

  /** OpenAI's tool definitions (`{type: "function", function: {name, description, parameters}}`), passed on. */
  @ObjectList()
  tools?: Record<string, unknown>[];

  /** `none`, `auto`, `required` or `{type: "function", function: {name}}`, passed on. */
  @NameOrObject()
  tool_choice?: string | Record<string, unknown>;

  @IsOptional()
  @IsBoolean()
  parallel_tool_calls?: boolean;

  @IsOptional()
  @IsBoolean()
  logprobs?: boolean;

  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(20)
  top_logprobs?: number;

  // OpenAI's other request fields: types checked, values the provider's to judge (SPEC §10).

  /** `minimal`, `low`, `medium`, `high`, … for reasoning models. */
  @IsOptional()
  @IsString()
  @MaxLength(64)
  reasoning_effort?: string;

  @IsOptional()
  @IsString()
  @MaxLength(64)
  verbosity?: string;

  @IsOptional()
  @IsString()
  @MaxLength(64)
  service_tier?: string;

  @IsOptional()
  @IsBoolean()
  store?: boolean;

  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string' } })
  @IsOptional()
  @IsObject()
  metadata?: Record<string, unknown>;

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(16)
  @IsString({ each: true })
  modalities?: string[];

  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  @IsOptional()
  @IsObject()
  audio?: Record<string, unknown>;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  @IsOptional()
  @IsObject()
  prediction?: Record<string, unknown>;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  @IsOptional()
  @IsObject()
  web_search_options?: Record<string, unknown>;

  @IsOptional()
  @IsString()
  @MaxLength(1024)
  prompt_cache_key?: string;

  @IsOptional()
  @IsString()
  @MaxLength(256)
  safety_identifier?: string;

  /** The older form of `tools`, still accepted by OpenAI. */
  @ObjectList()
  functions?: Record<string, unknown>[];

  /** The older form of `tool_choice`: `none`, `auto` or `{name}`. */
  @NameOrObject()
  function_call?: string | Record<string, unknown>;
}

/** Ensures `stop` is a string or at most 4 strings, as OpenAI does. */
export function stopProblem(stop: unknown): string | undefined {
  if (stop === undefined || stop === null || typeof stop === 'string') return undefined;
  if (Array.isArray(stop) && stop.length <= 4 && stop.every((s) => typeof s === 'string'))
    return undefined;
  return 'stop must be a string or an array of at most 4 strings';
}
