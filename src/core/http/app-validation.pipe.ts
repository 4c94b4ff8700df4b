import { ArgumentMetadata, Injectable, PipeTransform, ValidationPipe } from '@nestjs/common';
import { ValidationError } from 'class-validator';

import { AppException, FieldError } from '../errors/app.exception';
import { cacheValidationRules } from './validation-rules-cache';

/**
 * Which failed constraint speaks for a field: presence, then type, then emptiness, then the rest.
 * "must be a string" says all there is to say about 123; "must not be longer than 100" would mislead.
 */
const CONSTRAINT_RANK: Record<string, number> = {
  whitelistValidation: 0,
  isDefined: 1,
  isString: 2,
  isInt: 2,
  isNumber: 2,
  isBoolean: 2,
  isArray: 2,
  isObject: 2,
  isIn: 2,
  isEnum: 2,
  nestedValidation: 2,
  isNotEmpty: 3,
  arrayNotEmpty: 3,
};
const rank = (constraint: string) => CONSTRAINT_RANK[constraint] ?? 4;

/** One message per field: the first constraint that failed, by CONSTRAINT_RANK. */
function toFieldErrors(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((e) => {
    const field = parent ? `${parent}.${e.property}` : e.property;
    const failed = Object.entries(e.constraints ?? {}).sort(([a], [b]) => rank(a) - rank(b));
    const own = failed.length > 0 ? [{ field, message: failed[0][1] }] : [];
    return own.concat(toFieldErrors(e.children ?? [], field));
  });
}

// Nest's ValidationPipe deletes these keys (prototype pollution); they are refused instead of lost.
const RESERVED_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Finds what no field may hold: NUL characters (PostgreSQL cannot store them, and no field has a
 * use for them) and reserved keys in nested objects.
 */
function findForbidden(value: unknown, path: string): FieldError | undefined {
  if (typeof value === 'string') {
    return value.includes('\u0000')
      ? { field: path || 'body', message: `${path || 'body'} must not contain NUL characters` }
      : undefined;
  }
  if (value && typeof value === 'object') {
    for (const key of Object.keys(value)) {
      const field = path ? `${path}.${key}` : key;
      if (RESERVED_KEYS.has(key)) return { field, message: `the key ${key} is not allowed` };
      const found = findForbidden((value as Record<string, unknown>)[key], field);
      if (found) return found;
    }
  }
  return undefined;
}

const exceptionFactory = (errors: ValidationError[]) =>
  AppException.validation(toFieldErrors(errors));

const LENIENT = Symbol('lenientBody');

/**
 * For a body DTO of a protocol this server does not own (OpenAI's): unknown fields are dropped
 * rather than refused, since its clients send the fields of newer versions.
 */
export const IgnoreUnknownFields = (): ClassDecorator => (target) =>
  Reflect.defineMetadata(LENIENT, true, target);

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
  private readonly lenient = new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: false,
    transform: true,
    exceptionFactory,
    validationError: { target: false, value: false },
  });

  constructor() {
    cacheValidationRules();
  }

  async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    // One field of the body (@Body('x')): the whole body was checked against its DTO already.
    if (metadata.type === 'body' && metadata.data) return value;
    if (metadata.type === 'body') {
      if (value === undefined || value === null) value = {};
      if (typeof value !== 'object' || Array.isArray(value)) {
        throw AppException.validation(
          [{ field: 'body', message: 'the body must be a JSON object' }],
          'The request body must be a JSON object',
        );
      }
      const forbidden = findForbidden(value, '');
      if (forbidden) throw AppException.validation([forbidden]);
      if (metadata.metatype && Reflect.getMetadata(LENIENT, metadata.metatype)) {
        return this.lenient.transform(value, metadata);
      }
      return this.body.transform(value, metadata);
    }
    if (metadata.type === 'query') return this.lenient.transform(value, metadata);
    return value;
  }
}
