import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';

import { writeLock } from '../core/database/row-lock';
import { UserEntity } from './entities/user.entity';

/** User rows read to be changed: locked until the transaction ends where the database has row locks. */
@Injectable()
export class UsersRepository {
  findForUpdate(tx: EntityManager, id: string): Promise<UserEntity | null> {
    return tx.findOne(UserEntity, { where: { id }, ...writeLock(tx) });
  }

  /**
   * The active admins' ids, locked always in id order, so two concurrent demotions queue up behind
   * each other instead of both passing the check (or deadlocking).
   */
  findActiveAdminsForUpdate(tx: EntityManager): Promise<Pick<UserEntity, 'id'>[]> {
    return tx.find(UserEntity, {
      select: { id: true },
      where: { role: 'admin', disabled: false },
      order: { id: 'ASC' },
      ...writeLock(tx),
    });
  }
}
