import { ApiProperty } from '@nestjs/swagger';

import type { ErrorBody } from './app.exception';
import { ErrorCode } from './error-code';

export class ApiErrorDto {
  /** Stable: clients branch on it, never on the message. */
  @ApiProperty({ enum: ErrorCode, enumName: 'ErrorCode', example: ErrorCode.VALIDATION_ERROR })
  code: ErrorCode;

  /** For people; may change between versions. */
  @ApiProperty({ example: 'Validation failed' })
  message: string;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description:
      'Depends on the code, and is often empty: VALIDATION_ERROR lists `fields: [{field, message}]`, ' +
      'RATE_LIMIT gives `retry_after` (seconds), QUOTA_EXCEEDED `limit`, `used` and `resets_at`, ' +
      'MODEL_NOT_FOUND names the `model`.',
    properties: {
      fields: {
        type: 'array',
        items: {
          type: 'object',
          properties: { field: { type: 'string' }, message: { type: 'string' } },
          required: ['field', 'message'],
        },
      },
      retry_after: { type: 'integer', minimum: 1 },
    },
    example: { fields: [{ field: 'email', message: 'email must be an email' }] },
  })
  details: Record<string, unknown>;
}

/**
 * Every error of every route (SPEC §3), whatever its status; only the OpenAI-compatible routes under
 * /v1 answer in OpenAI's shape instead (OpenAiErrorEnvelopeDto).
 */
export class ErrorEnvelopeDto implements ErrorBody {
  error: ApiErrorDto;
}
