import { Injectable, Param, PipeTransform } from '@nestjs/common';

import { AppException } from '../errors/app.exception';
import { ErrorCode } from '../errors/error-code';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

/** A malformed id can match nothing, so it is the resource's 404 rather than a 400 or a 500. */
@Injectable()
export class ParseIdPipe implements PipeTransform<string, string> {
  constructor(private readonly notFound: ErrorCode) {}

  transform(value: string): string {
    if (!isUuid(value)) throw new AppException(this.notFound);
    return value.toLowerCase();
  }
}

/** The route param `name` as an id: every `:id`-like path segment enters a controller this way. */
export function IdParam(name: string, notFound: ErrorCode): ParameterDecorator {
  return Param(name, new ParseIdPipe(notFound));
}
