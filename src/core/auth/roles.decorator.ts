import { applyDecorators, SetMetadata } from '@nestjs/common';

import type { Role } from '../../users/entities/user.entity';
import { ApiErrors } from '../errors/api-errors.decorator';

export const ROLES_KEY = 'openclaw:roles';

export const Roles = (...roles: Role[]) =>
  applyDecorators(
    SetMetadata(ROLES_KEY, roles),
    ApiErrors({
      403: `FORBIDDEN: only the ${roles.join(' or ')} role may do this, or the account is disabled`,
    }),
  );
