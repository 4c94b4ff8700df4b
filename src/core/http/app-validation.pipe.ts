import { ArgumentMetadata, Injectable, PipeTransform } from '@nestjs/common';
import { ClassConstructor, plainToInstance } from 'class-transformer';
import { getFromContainer, ValidationError, Validator, ValidatorOptions } from 'class-validator';
import { ValidationExecutor } from 'class-validator/cjs/validation/ValidationExecutor';

import { AppException, FieldError } from '../errors/app.exception';
import { hasLoneSurrogate } from '../text/unicode';
import {
  cacheValidationRules,
  skipUncheckedFields,
  splitFieldRulesOnce,
} from './validation-rules-cache';

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
 * JSON.parse takes any depth, but every walk after it (this one, class-transformer, JSON.stringify
 * on the way to a provider) recurses: a body of 100,000 nested arrays overflowed the stack (a 500).
 * No field of this API, a tool's JSON Schema included, comes near it.
 */
const MAX_DEPTH = 64;

/**
 * Finds what no field may hold: NUL characters (PostgreSQL cannot store them, and no field has a
 * use for them), lone surrogates (JSON can escape half a character, but UTF-8 cannot hold it: it
 * would be stored or sent on as U+FFFD, and validator.js throws on it), reserved keys in nested
 * objects and nesting deeper than MAX_DEPTH.
 */
function findForbidden(value: unknown, path: string, depth = 0): FieldError | undefined {
  if (typeof value === 'string') {
    const field = path || 'body';
    if (value.includes('\u0000'))
      return { field, message: `${field} must not contain NUL characters` };
    if (hasLoneSurrogate(value))
      return {
        field,
        message: `${field} must be valid Unicode: it holds half of a surrogate pair`,
      };
    return undefined;
  }
  if (value && typeof value === 'object') {
    if (depth === MAX_DEPTH) {
      const field = path || 'body';
      return { field, message: `${field} is nested more than ${MAX_DEPTH} levels deep` };
    }
    for (const key of Object.keys(value)) {
      const field = path ? `${path}.${key}` : key;
      if (RESERVED_KEYS.has(key)) return { field, message: `the key ${key} is not allowed` };
      const found = findForbidden((value as Record<string, unknown>)[key], field, depth + 1);
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

/** Types Nest passes for a parameter declared without a DTO class: nothing to validate against. */
const NOT_A_DTO = new Set<unknown>([String, Boolean, Number, Array, Object, Buffer, Date]);

const isDto = (metatype: unknown): metatype is ClassConstructor<object> =>
  typeof metatype === 'function' && !NOT_A_DTO.has(metatype);

/** A query string is flat: its reserved keys are ignored like any other unknown parameter. */
function withoutReservedKeys(query: object): object {
  if (![...RESERVED_KEYS].some((key) => Object.hasOwn(query, key))) return query;
  const copy: Record<string, unknown> = { ...query };
  for (const key of RESERVED_KEYS) delete copy[key];
  return copy;
}

/**
 * Bodies reject unknown fields; query strings ignore unknown parameters (SPEC §3).
 *
 * class-transformer and class-validator are called directly rather than through Nest's
 * ValidationPipe: besides them, that pipe walks every value three more times (prototype keys,
 * sparse arrays, binary values), for cases that neither a JSON body nor a query string can hold
 * here: reserved keys are refused (bodies) or dropped (queries) below, and JSON has neither holes nor
 * bytes. Those walks were a fifth of the validation's CPU on a /v1 call (bench/results/2026-12-06-d.md).
 */
@Injectable()
export class AppValidationPipe implements PipeTransform {
  constructor() {
    cacheValidationRules();
    skipUncheckedFields();
    splitFieldRulesOnce();
  }

  transform(value: unknown, metadata: ArgumentMetadata): unknown {
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
      if (!isDto(metadata.metatype)) return value;
      const lenient = Reflect.getMetadata(LENIENT, metadata.metatype) === true;
      return this.check(value as object, metadata.metatype, !lenient);
    }
    // A query value declared without a DTO class (@Query('x')) is passed as it came.
    if (metadata.type === 'query' && isDto(metadata.metatype)) {
      return this.check(withoutReservedKeys(value as object), metadata.metatype, false);
    }
    return value;
  }

  /** The value as an instance of its DTO, checked; unknown fields dropped, or refused when `strict`. */
  private check(value: object, metatype: ClassConstructor<object>, strict: boolean): unknown {
    const dto = plainToInstance(metatype, value);
    const errors = validateNow(dto, {
      whitelist: true,
      forbidNonWhitelisted: strict,
      validationError: { target: false, value: false },
    });
    if (Array.isArray(errors)) return answer(dto, errors);
    return errors.then((found) => answer(dto, found));
  }
}

function answer(dto: object, errors: ValidationError[]): object {
  if (errors.length > 0) throw exceptionFactory(errors);
  return dto;
}

/**
 * class-validator's `validate`, without its promise when no rule is asynchronous (none is today):
 * the same executor, the same options and the same errors, with the route's parameter pipes staying
 * synchronous (param-pipes.ts). A rule that returns a promise still gets it awaited.
 */
function validateNow(
  object: object,
  options: ValidatorOptions,
): ValidationError[] | Promise<ValidationError[]> {
  const executor = new ValidationExecutor(getFromContainer(Validator), options);
  const errors: ValidationError[] = [];
  executor.execute(object, undefined as unknown as string, errors);
  if (executor.awaitingPromises.length === 0) return executor.stripEmptyErrors(errors);
  return Promise.all(executor.awaitingPromises).then(() => executor.stripEmptyErrors(errors));
}
