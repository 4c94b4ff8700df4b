import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';

import { AppException } from './app.exception';
import { ErrorCode } from './error-code';
import { OPENAI_PATH, toOpenAiError } from './openai-error';

const STATUS_CODES: Record<number, ErrorCode> = {
  400: ErrorCode.VALIDATION_ERROR,
  401: ErrorCode.UNAUTHORIZED,
  403: ErrorCode.FORBIDDEN,
  404: ErrorCode.NOT_FOUND,
  409: ErrorCode.CONFLICT,
  413: ErrorCode.PAYLOAD_TOO_LARGE,
  415: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
  429: ErrorCode.RATE_LIMIT,
  502: ErrorCode.UPSTREAM_ERROR,
  503: ErrorCode.SERVICE_UNAVAILABLE,
  504: ErrorCode.UPSTREAM_TIMEOUT,
};

/** Errors raised by body-parser carry a `type` and a `status`. */
interface BodyParserError {
  type?: string;
  status?: number;
}

const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'SQLITE_BUSY',
]);

/** The database or Redis went away: the caller should retry later, not report a bug. */
export function isBackingServiceDown(err: unknown): boolean {
  const e = err as { name?: string; code?: string; message?: string; driverError?: unknown };
  if (!e || typeof e !== 'object') return false;
  if (e.name === 'MaxRetriesPerRequestError') return true;
  if (e.code && (UNAVAILABLE_CODES.has(e.code) || /^(08|57P0)/.test(e.code))) return true;
  if (
    /^(Connection is closed|Connection terminated|Stream isn't writeable|Command timed out|timeout exceeded when trying to connect)/.test(
      e.message ?? '',
    )
  ) {
    return true;
  }
  return (
    e.driverError !== undefined && e.driverError !== err && isBackingServiceDown(e.driverError)
  );
}

/**
 * Turns anything thrown into an AppException. Unknown errors become INTERNAL_ERROR,
 * and nothing of their message reaches the caller.
 */
export function toAppException(exception: unknown): AppException | undefined {
  if (exception instanceof AppException) return exception;
  if (/^Failed to decode param/.test((exception as Error | null)?.message ?? '')) {
    // A path segment that is not valid percent-encoding can name no resource.
    return new AppException(
      ErrorCode.NOT_FOUND,
      'Not found: the path is not valid percent-encoding',
    );
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const code = STATUS_CODES[status];
    if (code === ErrorCode.NOT_FOUND) {
      return new AppException(ErrorCode.NOT_FOUND);
    }
    if (code) return new AppException(code);
    if (status < 500) return new AppException(ErrorCode.VALIDATION_ERROR, exception.message);
    return undefined;
  }
  if (isBackingServiceDown(exception)) return new AppException(ErrorCode.SERVICE_UNAVAILABLE);
  const bp = exception as BodyParserError | null;
  if (bp && typeof bp === 'object' && typeof bp.type === 'string') {
    if (bp.type === 'entity.parse.failed') return new AppException(ErrorCode.INVALID_JSON);
    if (bp.type === 'entity.too.large') return new AppException(ErrorCode.PAYLOAD_TOO_LARGE);
    if (bp.type === 'encoding.unsupported' || bp.type === 'charset.unsupported') {
      return new AppException(ErrorCode.UNSUPPORTED_MEDIA_TYPE, 'Unsupported body encoding');
    }
    if (bp.status && bp.status >= 400 && bp.status < 500) {
      return new AppException(ErrorCode.VALIDATION_ERROR, 'The request body could not be read');
    }
  }
  return undefined;
}

export function sendError(exception: unknown, req: Request, res: Response, logger: Logger): void {
  if (res.destroyed) {
    // The caller went away (an aborted chat, a closed stream): there is no one to answer.
    logger.warn(
      `${req.method} ${req.path} [request ${req.id}] ended: the client closed the connection`,
    );
    return;
  }
  let error = toAppException(exception);
  if (error?.code === ErrorCode.SERVICE_UNAVAILABLE && !(exception instanceof AppException)) {
    logger.warn(
      `Backing service unavailable on ${req.method} ${req.path} [request ${req.id}]: ${String(exception)}`,
    );
  }
  if (!error) {
    const cause = exception instanceof Error ? (exception.stack ?? exception.message) : exception;
    logger.error(
      `Unhandled error on ${req.method} ${req.path} [request ${req.id}]: ${String(cause)}`,
    );
    error = new AppException(ErrorCode.INTERNAL_ERROR);
  }
  // The request log line names the code the caller got (see core/http/logging.ts).
  res.locals.errCode = error.code;
  if (res.headersSent) {
    endStream(error, req, res);
    return;
  }
  for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, value);
  res
    .status(error.getStatus())
    .json(OPENAI_PATH.test(req.path) ? toOpenAiError(error) : error.toBody());
}

@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    sendError(exception, http.getRequest<Request>(), http.getResponse<Response>(), this.logger);
  }
}

/**
 * An error after a stream opened: a stream promises its errors as an event and `data: [DONE]` last
 * (SPEC §6; on /v1 a `data: {"error": …}` frame, which OpenAI's clients raise), also for an error
 * that nothing before this caught.
 */
function endStream(error: AppException, req: Request, res: Response): void {
  const type = res.getHeader('Content-Type');
  if (!res.writableEnded && typeof type === 'string' && type.startsWith('text/event-stream')) {
    res.write(
      OPENAI_PATH.test(req.path)
        ? `data: ${JSON.stringify(toOpenAiError(error))}\n\n`
        : `event: error\ndata: ${JSON.stringify(error.toBody())}\n\n`,
    );
    res.write('data: [DONE]\n\n');
  }
  res.end();
}
