import { STATUS_CODES } from 'node:http';

import {
  getSchemaPath,
  type HeaderObject,
  type OpenAPIObject,
  type OperationObject,
  type ParameterObject,
  type ReferenceObject,
  type ResponseObject,
} from '@nestjs/swagger';

import { PUBLIC_OPERATION } from '../auth/public.decorator';
import { AppException } from '../errors/app.exception';
import { ErrorCode } from '../errors/error-code';
import { ErrorEnvelopeDto } from '../errors/error-envelope.dto';
import { OPENAI_PATH, toOpenAiError } from '../errors/openai-error';
import { OpenAiErrorEnvelopeDto } from '../errors/openai-error.dto';

const HEADERS: Record<string, HeaderObject> = {
  'X-Request-Id': {
    description: 'The request id: echoed from the request when given, else generated',
    schema: { type: 'string' },
  },
  'X-RateLimit-Limit': {
    description: 'Requests allowed per minute for this credential (the chat limit on chat routes)',
    schema: { type: 'integer' },
  },
  'X-RateLimit-Remaining': {
    description: 'Requests left in the current minute',
    schema: { type: 'integer' },
  },
  'X-RateLimit-Reset': {
    description: 'When the current window ends, in Unix seconds',
    schema: { type: 'integer' },
  },
  'Retry-After': {
    description: 'Seconds to wait before trying again',
    schema: { type: 'integer' },
  },
};
const RATE_LIMIT_HEADERS = ['X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset'];

interface OperationShape {
  /** Under /v1: errors in OpenAI's envelope. */
  openAi: boolean;
  isPublic: boolean;
  hasBody: boolean;
  hasQuery: boolean;
  hasPath: boolean;
}

interface SharedError {
  /** The code of the example. */
  code: ErrorCode;
  details?: Record<string, unknown>;
  description: string | ((op: OperationShape) => string);
  /** Whether the operation can answer it. */
  applies: (op: OperationShape) => boolean;
}

/** The errors that come from the guard, the pipes, the middleware and the filter, not one route. */
const SHARED_ERRORS: Record<number, SharedError> = {
  400: {
    code: ErrorCode.VALIDATION_ERROR,
    details: { fields: [{ field: 'limit', message: 'limit must not be greater than 100' }] },
    description: (op) =>
      'VALIDATION_ERROR: a field is missing, of the wrong type, out of range or unknown ' +
      (op.openAi ? '(`param` names the first)' : '(`details.fields` lists them)') +
      (op.hasBody ? '; INVALID_JSON: the body is not valid JSON' : ''),
    applies: (op) => op.hasBody || op.hasQuery,
  },
  401: {
    code: ErrorCode.UNAUTHORIZED,
    description:
      'UNAUTHORIZED: no `Authorization: Bearer …` header; INVALID_TOKEN: a JWT that is malformed, ' +
      'badly signed or expired; INVALID_API_KEY: an unknown, revoked or expired API key',
    applies: (op) => !op.isPublic,
  },
  403: {
    code: ErrorCode.FORBIDDEN,
    description: 'FORBIDDEN: the account is disabled, or its role does not allow this',
    applies: (op) => !op.isPublic,
  },
  404: {
    code: ErrorCode.NOT_FOUND,
    description:
      'The resource named in the path does not exist or belongs to someone else ' +
      '(SESSION_NOT_FOUND, USER_NOT_FOUND, …); a malformed id is a 404 too',
    applies: (op) => op.hasPath,
  },
  413: {
    code: ErrorCode.PAYLOAD_TOO_LARGE,
    description: 'PAYLOAD_TOO_LARGE: the body is over BODY_LIMIT',
    applies: (op) => op.hasBody,
  },
  415: {
    code: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
    description: 'UNSUPPORTED_MEDIA_TYPE: a body that is not application/json',
    applies: (op) => op.hasBody,
  },
  429: {
    code: ErrorCode.RATE_LIMIT,
    details: { limit: 600, retry_after: 42 },
    description: 'RATE_LIMIT: over the per-credential limit; retry after `Retry-After` seconds',
    applies: (op) => !op.isPublic,
  },
  500: {
    code: ErrorCode.INTERNAL_ERROR,
    description: 'INTERNAL_ERROR: an unexpected failure, logged with the request id',
    applies: () => true,
  },
  503: {
    code: ErrorCode.SERVICE_UNAVAILABLE,
    description:
      'SERVICE_UNAVAILABLE: the database or Redis is unreachable, or the server is shutting down',
    applies: () => true,
  },
};

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

function headerRefs(names: string[]): Record<string, ReferenceObject> {
  return Object.fromEntries(names.map((name) => [name, { $ref: `#/components/headers/${name}` }]));
}

/** The error models completeOperations refers to; register them with `extraModels`. */
export const ERROR_MODELS = [ErrorEnvelopeDto, OpenAiErrorEnvelopeDto];

/**
 * What the decorators cannot say: public operations need no credentials (`security: []`), every
 * operation answers the shared errors in its envelope (SPEC §3, or OpenAI's under /v1), and the
 * headers each answer carries. Responses a controller declared are kept; they only gain headers.
 */
export function completeOperations(document: OpenAPIObject): OpenAPIObject {
  document.components = Object.assign({}, document.components, { headers: { ...HEADERS } });
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of METHODS) {
      const op = item[method] as (OperationObject & Record<string, unknown>) | undefined;
      if (op) completeOperation(op, OPENAI_PATH.test(path));
    }
  }
  return document;
}

function completeOperation(op: OperationObject & Record<string, unknown>, openAi: boolean): void {
  const isPublic = op[PUBLIC_OPERATION] === true;
  delete op[PUBLIC_OPERATION];
  if (isPublic) op.security = [];
  const params = (op.parameters ?? []) as ParameterObject[];
  const shape: OperationShape = {
    openAi,
    isPublic,
    hasBody: op.requestBody !== undefined,
    hasQuery: params.some((p) => p.in === 'query'),
    hasPath: params.some((p) => p.in === 'path'),
  };

  for (const [status, error] of Object.entries(SHARED_ERRORS)) {
    if (status in op.responses || !error.applies(shape)) continue;
    const { code, details = {}, description } = error;
    const example = new AppException(code, undefined, details);
    op.responses[status] = {
      description: typeof description === 'string' ? description : description(shape),
      content: {
        'application/json': {
          schema: {
            $ref: getSchemaPath(openAi ? OpenAiErrorEnvelopeDto : ErrorEnvelopeDto),
          },
          example: openAi ? toOpenAiError(example) : example.toBody(),
        },
      },
    };
  }

  for (const [status, response] of Object.entries(op.responses)) {
    const res = response as ResponseObject;
    const names = ['X-Request-Id'];
    // The limiter runs in the guard, after authentication: only protected routes are counted.
    if (!isPublic && (status.startsWith('2') || status === '429'))
      names.push(...RATE_LIMIT_HEADERS);
    if (status === '429') names.push('Retry-After');
    res.description ||= STATUS_CODES[status] ?? '';
    res.headers = Object.assign(headerRefs(names), res.headers);
  }
}
