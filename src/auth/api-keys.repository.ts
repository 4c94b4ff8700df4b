import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, FindOptionsWhere, IsNull, MoreThan, Repository } from 'typeorm';

import { writeLock } from '../core/database/row-lock';
import type { ListQueryDto } from '../core/http/list-query.dto';
import { UserEntity } from '../users/entities/user.entity';
import { ApiKeyEntity } from './entities/api-key.entity';

/** API key rows: the SQL of keys and their cap. */
@Injectable()
export class ApiKeysRepository {
  constructor(@InjectRepository(ApiKeyEntity) private readonly keys: Repository<ApiKeyEntity>) {}

  insert(tx: EntityManager, fields: Partial<ApiKeyEntity>): Promise<ApiKeyEntity> {
    return tx.save(tx.create(ApiKeyEntity, fields));
  }

  userExists(userId: string): Promise<boolean> {
    return this.keys.manager.existsBy(UserEntity, { id: userId });
  }

  findPage(userId: string, query: ListQueryDto): Promise<[ApiKeyEntity[], number]> {
    return this.keys.findAndCount({
      where: { userId },
      order: { createdAt: query.order, id: query.order },
      take: query.limit,
      skip: query.offset,
    });
  }

  /** False when no key matched. */
  async delete(where: FindOptionsWhere<ApiKeyEntity>): Promise<boolean> {
    const result = await this.keys.delete(where);
    return !!result.affected;
  }

  /** The key with this hash and its owner. */
  findByHash(keyHash: string): Promise<ApiKeyEntity | null> {
    return this.keys.findOne({ where: { keyHash }, relations: { user: true } });
  }

  async touch(id: string, at: Date): Promise<void> {
    await this.keys.update({ id }, { lastUsedAt: at });
  }

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
