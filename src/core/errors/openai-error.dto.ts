import type { OpenAiErrorBody } from './openai-error';

export class OpenAiErrorDto {
  message: string;
  /** `invalid_request_error`, `authentication_error`, `permission_error`, `rate_limit_error`, … */
  type: string;
  /** OpenAI's code where one exists (`invalid_api_key`, `model_not_found`, …), else ours in lower case. */
  code: string | null;
  /** The request field at fault. */
  param: string | null;
}

/** Errors of the OpenAI-compatible routes under /v1 (SPEC §10), in OpenAI's shape. */
export class OpenAiErrorEnvelopeDto implements OpenAiErrorBody {
  error: OpenAiErrorDto;
}
