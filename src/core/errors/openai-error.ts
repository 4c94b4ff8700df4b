import { AppException } from './app.exception';
import { ErrorCode } from './error-code';

/** The routes that speak OpenAI's protocol, errors included (SPEC §10). */
export const OPENAI_PATH = /^\/v1(\/|$)/;

export interface OpenAiErrorBody {
  error: { message: string; type: string; code: string | null; param: string | null };
}

/** OpenAI's own codes where one exists, so tools built for it react as they would there. */
const CODES: Partial<Record<ErrorCode, string>> = {
  [ErrorCode.UNAUTHORIZED]: 'missing_api_key',
  [ErrorCode.INVALID_API_KEY]: 'invalid_api_key',
  [ErrorCode.INVALID_TOKEN]: 'invalid_api_key',
  [ErrorCode.MODEL_NOT_FOUND]: 'model_not_found',
  [ErrorCode.RATE_LIMIT]: 'rate_limit_exceeded',
  [ErrorCode.NOT_FOUND]: 'unknown_url',
  [ErrorCode.QUOTA_EXCEEDED]: 'insufficient_quota',
  [ErrorCode.MODEL_NOT_ALLOWED]: 'model_not_allowed',
};

/** OpenAI's type where it is not the one the status implies (its SDK retries a rate_limit_error). */
const TYPES: Partial<Record<ErrorCode, string>> = {
  [ErrorCode.QUOTA_EXCEEDED]: 'insufficient_quota',
};

function errorType(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 429) return 'rate_limit_error';
  if (status >= 500) return status === 500 ? 'server_error' : 'api_error';
  return 'invalid_request_error';
}

/**
 * A provider's own refusal of an OpenAI call (a 400: a field or part its model does not support),
 * passed on to the OpenAI client as the provider worded it (SPEC §10).
 */
export class ProviderRefusal extends AppException {
  constructor(
    readonly openai: OpenAiErrorBody['error'],
    provider: string,
  ) {
    super(ErrorCode.VALIDATION_ERROR, openai.message, { provider });
  }
}

/** The same error in OpenAI's envelope: `{error: {message, type, code, param}}`. */
export function toOpenAiError(error: AppException): OpenAiErrorBody {
  if (error instanceof ProviderRefusal) return { error: error.openai };
  const fields = error.details.fields as { field: string; message: string }[] | undefined;
  const param =
    error.code === ErrorCode.MODEL_NOT_FOUND || error.code === ErrorCode.MODEL_NOT_ALLOWED
      ? 'model'
      : (fields?.[0]?.field ?? null);
  const message =
    fields && fields.length > 0 ? fields.map((f) => f.message).join('; ') : error.message;
  return {
    error: {
      message,
      type: TYPES[error.code] ?? errorType(error.getStatus()),
      code: CODES[error.code] ?? error.code.toLowerCase(),
      param,
    },
  };
}
