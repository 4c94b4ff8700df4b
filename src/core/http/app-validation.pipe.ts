import { ArgumentMetadata, Injectable, PipeTransform, ValidationPipe } from '@nestjs/common';
import { ValidationError } from 'class-validator';

import { AppException, FieldError } from '../errors/app.exception';

function toFieldErrors(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((e) => {
    const field = parent ? `${parent}.${e.property}` : e.property;
    const own = Object.values(e.constraints ?? {}).map((message) => ({ field, message }));
    return own.concat(toFieldErrors(e.children ?? [], field));
  });
}

/** PostgreSQL cannot store NUL in text, and no field has a use for it: reject it everywhere. */
function findNul(value: unknown, path: string): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? path || 'body' : undefined;
  if (value && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      const found = findNul(child, path ? `${path}.${key}` : key);
      if (found) return found;
    }
  }
  return undefined;
}

const exceptionFactory = (errors: ValidationError[]) =>
  AppException.validation(toFieldErrors(errors));

/**
 * Bodies reject unknown fields; query strings ignore unknown parameters (SPEC §3).
 */
@Injectable()
export class AppValidationPipe implements PipeTransform {
  private readonly body = new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    exceptionFactory,
    validationError: { target: false, value: false },
  });
  private readonly query = new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: false,
    transform: true,
    exceptionFactory,
    validationError: { target: false, value: false },
  });

  async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body') {
      if (value === undefined || value === null) value = {};
      if (typeof value !== 'object' || Array.isArray(value)) {
        throw AppException.validation(
          [{ field: 'body', message: 'the body must be a JSON object' }],
          'The request body must be a JSON object',
        );
      }
      const nulField = findNul(value, '');
      if (nulField) {
        throw AppException.validation([
          { field: nulField, message: `${nulField} must not contain NUL characters` },
        ]);
      }
      return this.body.transform(value, metadata);
    }
    if (metadata.type === 'query') return this.query.transform(value, metadata);
    return value;
  }
}
