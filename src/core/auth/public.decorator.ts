import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiExtension } from '@nestjs/swagger';

export const IS_PUBLIC = 'openclaw:public';

/** Marks the route's operation in the OpenAPI document; openapi.ts turns it into `security: []`. */
export const PUBLIC_OPERATION = 'x-openclaw-public';

/** Opts a route out of the global auth guard. */
export const Public = () =>
  applyDecorators(SetMetadata(IS_PUBLIC, true), ApiExtension(PUBLIC_OPERATION, true));
