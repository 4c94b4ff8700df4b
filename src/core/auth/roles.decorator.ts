import { SetMetadata } from '@nestjs/common';

import type { Role } from '../../users/entities/user.entity';

export const ROLES_KEY = 'openclaw:roles';

export const Roles = (...roles: Role[]) => SetMetadata(ROLES_KEY, roles);
