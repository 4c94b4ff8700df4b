import { BadRequestException, ForbiddenException, NotFoundException } from '@nestjs/common';
import { QueryFailedError } from 'typeorm';

import { toAppException } from './all-exceptions.filter';
import { AppException } from './app.exception';
import { ERROR_CODES, ErrorCode } from './error-code';

describe(toAppException.name, () => {
  it('keeps an AppException as it is', () => {
    const e = new AppException(ErrorCode.SESSION_NOT_FOUND);
    expect(toAppException(e)).toBe(e);
  });

  it('maps Nest HTTP exceptions to codes', () => {
    expect(toAppException(new NotFoundException('Cannot GET /x'))?.code).toBe(ErrorCode.NOT_FOUND);
    expect(toAppException(new ForbiddenException())?.code).toBe(ErrorCode.FORBIDDEN);
    expect(toAppException(new BadRequestException())?.code).toBe(ErrorCode.VALIDATION_ERROR);
  });

  it('maps body-parser errors', () => {
    expect(toAppException({ type: 'entity.parse.failed', status: 400 })?.code).toBe(
      ErrorCode.INVALID_JSON,
    );
    expect(toAppException({ type: 'entity.too.large', status: 413 })?.code).toBe(
      ErrorCode.PAYLOAD_TOO_LARGE,
    );
  });

  it('recognises a backing service that went away', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(toAppException(refused)?.code).toBe(ErrorCode.SERVICE_UNAVAILABLE);
    const pgDown = new QueryFailedError(
      'SELECT 1',
      [],
      Object.assign(new Error('terminating'), { code: '57P01' }),
    );
    expect(toAppException(pgDown)?.code).toBe(ErrorCode.SERVICE_UNAVAILABLE);
  });

  it('leaves anything else to become INTERNAL_ERROR', () => {
    expect(toAppException(new Error('boom'))).toBeUndefined();
    expect(
      toAppException(new QueryFailedError('SELECT', [], new Error('syntax error'))),
    ).toBeUndefined();
  });
});

describe('ERROR_CODES', () => {
  it('gives every code an error status and a message', () => {
    for (const code of Object.values(ErrorCode)) {
      expect(ERROR_CODES[code].status).toBeGreaterThanOrEqual(400);
      expect(ERROR_CODES[code].message.length).toBeGreaterThan(0);
    }
  });
});
