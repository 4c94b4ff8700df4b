import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';

import { writeLock } from '../core/database/row-lock';
import type { ListQueryDto } from '../core/http/list-query.dto';
import { UserEntity } from './entities/user.entity';

/** User rows; those read to be changed are locked until the transaction ends where the database has row locks. */
@Injectable()
export class UsersRepository {
  constructor(@InjectRepository(UserEntity) private readonly users: Repository<UserEntity>) {}

  findById(id: string): Promise<UserEntity | null> {
    return this.users.findOneBy({ id });
  }

  /** `email` as stored: normalised by the caller. */
  findByEmail(email: string): Promise<UserEntity | null> {
    return this.users.findOneBy({ email });
  }

  findPage(query: ListQueryDto): Promise<[UserEntity[], number]> {
    return this.users.findAndCount({
      order: { createdAt: query.order, id: query.order },
      take: query.limit,
      skip: query.offset,
    });
  }

  countAdmins(): Promise<number> {
    return this.users.countBy({ role: 'admin' });
  }

  /** A new user, in `tx` or on its own; answers the stored row. */
  insert(fields: Partial<UserEntity>, tx: EntityManager = this.users.manager): Promise<UserEntity> {
    return tx.save(this.users.create(fields));
  }

  /** Writes a changed user read in `tx`. */
  update(tx: EntityManager, user: UserEntity): Promise<UserEntity> {
    return tx.save(user);
  }

  async delete(tx: EntityManager, id: string): Promise<void> {
    await tx.delete(UserEntity, { id });
  }

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
