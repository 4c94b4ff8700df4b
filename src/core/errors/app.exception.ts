import { HttpException } from '@nestjs/common';

import { ERROR_CODES, ErrorCode } from './error-code';

export interface FieldError {
  field: string;
  message: string;
}

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details: Record<string, unknown> };
}

/** The one exception services throw; the filter renders it as the SPEC envelope. */
export class AppException extends HttpException {
  constructor(
    readonly code: ErrorCode,
    message?: string,
    readonly details: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message ?? ERROR_CODES[code].message, ERROR_CODES[code].status);
  }

  static validation(fields: FieldError[], message = 'Validation failed'): AppException {
    return new AppException(ErrorCode.VALIDATION_ERROR, message, { fields });
  }

  toBody(): ErrorBody {
    return { error: { code: this.code, message: this.message, details: this.details } };
  }
}
