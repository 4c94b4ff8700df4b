import { applyDecorators, SetMetadata } from '@nestjs/common';

import { ApiErrors } from '../errors/api-errors.decorator';
import type { Role } from './role';

export const ROLES_KEY = 'openclaw:roles';

export const Roles = (...roles: Role[]) =>
  applyDecorators(
    SetMetadata(ROLES_KEY, roles),
    ApiErrors({
      403: `FORBIDDEN: only the ${roles.join(' or ')} role may do this, or the account is disabled`,
    }),
  );
