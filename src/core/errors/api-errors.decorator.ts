import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';

import { ErrorEnvelopeDto } from './error-envelope.dto';

/**
 * Documents the error answers particular to a route, by status; openapi.ts adds the ones every
 * route shares (validation, auth, rate limit, 500) where a route declares none for that status.
 * Not named Api…Response: the swagger plugin would take it for a success response.
 */
export const ApiErrors = (errors: Record<number, string>) =>
  applyDecorators(
    ...Object.entries(errors).map(([status, description]) =>
      ApiResponse({ status: Number(status), description, type: ErrorEnvelopeDto }),
    ),
  );
