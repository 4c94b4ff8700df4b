import { Injectable } from '@nestjs/common';
import { EntityManager, IsNull, MoreThan } from 'typeorm';

import { writeLock } from '../core/database/row-lock';
import { UserEntity } from '../users/entities/user.entity';
import { ApiKeyEntity } from './entities/api-key.entity';

/** API key rows where a rule needs more than a plain find. */
@Injectable()
export class ApiKeysRepository {
  /**
   * The user's active (unexpired) keys, counted with the user's row locked (on PostgreSQL) until
   * `tx` ends, so two creations at once cannot both pass the cap.
   */
  async countActiveForUpdate(tx: EntityManager, userId: string, now: Date): Promise<number> {
    const lock = writeLock(tx);
    if (lock.lock)
      await tx.findOne(UserEntity, { select: { id: true }, where: { id: userId }, ...lock });
    return tx.count(ApiKeyEntity, {
      where: [
        { userId, expiresAt: IsNull() },
        { userId, expiresAt: MoreThan(now) },
      ],
    });
  }
}
