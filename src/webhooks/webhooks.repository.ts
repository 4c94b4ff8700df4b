import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';

import { writeLock } from '../core/database/row-lock';
import { UserEntity } from '../users/entities/user.entity';
import { WebhookEntity } from './entities/webhook.entity';

/** Webhook rows where a rule needs more than a plain find. */
@Injectable()
export class WebhooksRepository {
  /**
   * The owner's webhooks, counted with the owner's row locked (on PostgreSQL) until `tx` ends, so
   * two creates at once cannot both pass the cap.
   */
  async countForUpdate(tx: EntityManager, userId: string): Promise<number> {
    const lock = writeLock(tx);
    if (lock.lock) await tx.findOne(UserEntity, { where: { id: userId }, ...lock });
    return tx.countBy(WebhookEntity, { userId });
  }
}
