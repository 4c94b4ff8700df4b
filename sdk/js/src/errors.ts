/**
 * Codes the SDK gives where the API's own code (`SESSION_NOT_FOUND`, `RATE_LIMIT`, …) is missing.
 * All but `HTTP_ERROR` and `INVALID_RESPONSE` mean no answer came: their `status` is 0.
 */
export type ClientErrorCode =
  /** The server could not be reached, or the connection broke (also: a stream cut short). */
  | 'CONNECTION_ERROR'
  /** No answer within `timeout` ms (for a stream: no data for `timeout` ms). */
  | 'TIMEOUT'
  /** The caller's `signal` aborted the request. */
  | 'ABORTED'
  /** A 2xx answer whose body is not the JSON expected. */
  | 'INVALID_RESPONSE'
  /** An error status without the API's error envelope (e.g. an HTML page from a proxy). */
  | 'HTTP_ERROR';

/** The statuses of the API's codes, for errors that arrive inside a stream (after its 200). */
const STATUS_OF: Record<string, number> = {
  INTERNAL_ERROR: 500,
  UPSTREAM_ERROR: 502,
  SERVICE_UNAVAILABLE: 503,
  UPSTREAM_TIMEOUT: 504,
};

export interface OpenClawErrorInit {
  code: string;
  message: string;
  status?: number;
  details?: Record<string, unknown>;
  requestId?: string;
  headers?: Headers;
  cause?: unknown;
}

/**
 * Every failure of a call: an error answer of the API (`status` is its HTTP status, `code` and
 * `details` its error envelope's) or a failure to get one (`status` 0, a {@link ClientErrorCode}).
 */
export class OpenClawError extends Error {
  override readonly name = 'OpenClawError';
  /** `SESSION_NOT_FOUND`, `VALIDATION_ERROR`, …, or a {@link ClientErrorCode}. */
  readonly code: string;
  /** The HTTP status; 0 when no answer came. */
  readonly status: number;
  /** The envelope's `details`, e.g. `details.fields` of a VALIDATION_ERROR; `{}` when none. */
  readonly details: Record<string, unknown>;
  /** The answer's `X-Request-Id`, to quote when asking an operator about a failure. */
  readonly requestId: string | undefined;
  /** The answer's headers (e.g. `Retry-After` of a 429), when there was an answer. */
  readonly headers: Headers | undefined;

  constructor(init: OpenClawErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.code = init.code;
    this.status = init.status ?? 0;
    this.details = init.details ?? {};
    this.requestId = init.requestId;
    this.headers = init.headers;
  }

  /** An error envelope sent as `event: error` after a stream opened (its HTTP status was 200). */
  static fromStreamEvent(body: unknown, requestId: string | undefined): OpenClawError {
    const envelope = readEnvelope(body);
    if (!envelope) {
      return new OpenClawError({
        code: 'INVALID_RESPONSE',
        message: 'The stream sent an error event the client cannot read',
        requestId,
      });
    }
    return new OpenClawError({ ...envelope, status: STATUS_OF[envelope.code] ?? 0, requestId });
  }
}

/** Why `verifyWebhook` refused a delivery. */
export type WebhookVerificationErrorCode =
  | 'MISSING_HEADERS'
  | 'INVALID_TIMESTAMP'
  | 'TIMESTAMP_OUT_OF_TOLERANCE'
  | 'INVALID_SIGNATURE'
  | 'INVALID_SECRET'
  | 'INVALID_PAYLOAD';

/** Thrown by `verifyWebhook`: the delivery is not proven to come from the server. */
export class WebhookVerificationError extends Error {
  override readonly name = 'WebhookVerificationError';

  constructor(
    readonly code: WebhookVerificationErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export function readEnvelope(
  body: unknown,
): { code: string; message: string; details: Record<string, unknown> } | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const error = (body as { error?: unknown }).error;
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, message, details } = error as Record<string, unknown>;
  if (typeof code !== 'string') return undefined;
  return {
    code,
    message: typeof message === 'string' ? message : code,
    details:
      typeof details === 'object' && details !== null ? (details as Record<string, unknown>) : {},
  };
}
