import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';

import { writeLock } from '../core/database/row-lock';
import type { ListQueryDto } from '../core/http/list-query.dto';
import { UserEntity } from '../users/entities/user.entity';
import { WebhookEntity } from './entities/webhook.entity';

/** Webhook rows (subscriptions); their deliveries are in DeliveriesRepository. */
@Injectable()
export class WebhooksRepository {
  constructor(@InjectRepository(WebhookEntity) private readonly hooks: Repository<WebhookEntity>) {}

  findOwned(userId: string, id: string): Promise<WebhookEntity | null> {
    return this.hooks.findOneBy({ id, userId });
  }

  findPage(userId: string, query: ListQueryDto): Promise<[WebhookEntity[], number]> {
    return this.hooks.findAndCount({
      where: { userId },
      order: { createdAt: query.order, id: query.order },
      take: query.limit,
      skip: query.offset,
    });
  }

  insert(tx: EntityManager, fields: Partial<WebhookEntity>): Promise<WebhookEntity> {
    return tx.save(tx.create(WebhookEntity, fields));
  }

  /** Writes a changed webhook, in `tx` or on its own. */
  save(hook: WebhookEntity, tx: EntityManager = this.hooks.manager): Promise<WebhookEntity> {
    return tx.save(hook);
  }

  async delete(tx: EntityManager, id: string): Promise<void> {
    await tx.delete(WebhookEntity, { id });
  }

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
