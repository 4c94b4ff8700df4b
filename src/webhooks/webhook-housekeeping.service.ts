import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, MoreThan } from 'typeorm';

import { inTransaction } from '../core/database/transaction';
import { EnvService } from '../core/env/env.service';
import { SecretBox, SecretDecryptionError } from '../core/secrets/secret-box';
import { WebhookEntity } from './entities/webhook.entity';
import { WebhookAttemptEntity } from './entities/webhook-attempt.entity';
import { WebhookDeliveryEntity } from './entities/webhook-delivery.entity';
import { WebhookEventEntity } from './entities/webhook-event.entity';

const BATCH = 500;
const DAY_MS = 86_400_000;
// An event is written just before its deliveries, in one transaction; one this old with no
// delivery left lost them with its webhook.
const ORPHAN_AGE_MS = 3_600_000;

export interface SweepResult {
  events: number;
  attempts: number;
}

/** Keeps the webhook tables small and their secrets sealed under the newest key. */
@Injectable()
export class WebhookHousekeepingService {
  private readonly logger = new Logger(WebhookHousekeepingService.name);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly env: EnvService,
    private readonly secrets: SecretBox,
  ) {}

  /**
   * Seals every secret stored in clear (written before SECRETS_KEY was set) or under an older key
   * with the newest key, so an old key can be dropped once this has run. Idempotent: a row changed
   * meanwhile (rotate-secret) is left as it is.
   */
  async resealSecrets(): Promise<number> {
    if (!this.secrets.enabled) {
      if (this.env.get('isProduction'))
        this.logger.warn('SECRETS_KEY is not set: webhook secrets are stored in clear');
      return 0;
    }
    const hooks = this.db.getRepository(WebhookEntity);
    let resealed = 0;
    // The smallest uuid: PostgreSQL refuses '' for a uuid column.
    let after = '00000000-0000-0000-0000-000000000000';
    for (;;) {
      const rows = await hooks.find({
        select: { id: true, secret: true },
        where: { id: MoreThan(after) },
        order: { id: 'ASC' },
        take: BATCH,
      });
      for (const row of rows) {
        try {
          if (!this.secrets.isStale(row.secret)) continue;
          const sealed = this.secrets.seal(this.secrets.open(row.secret));
          const { affected } = await hooks.update(
            { id: row.id, secret: row.secret },
            { secret: sealed },
          );
          resealed += affected ?? 0;
        } catch (err) {
          if (!(err instanceof SecretDecryptionError)) throw err;
          this.logger.error(`Webhook ${row.id}: ${err.message}`);
        }
      }
      if (rows.length < BATCH) return resealed;
      after = rows[rows.length - 1].id;
    }
  }

  /**
   * Removes, in batches, events older than WEBHOOK_EVENT_RETENTION_DAYS (with their deliveries
   * and attempts) unless a delivery of theirs is still pending, older attempts, and the events of
   * deleted webhooks (their deliveries went with the webhook).
   */
  async sweep(now = Date.now()): Promise<SweepResult> {
    const cutoff = new Date(now - this.env.get('WEBHOOK_EVENT_RETENTION_DAYS') * DAY_MS);
    const orphanCutoff = new Date(now - ORPHAN_AGE_MS);
    const result: SweepResult = { events: 0, attempts: 0 };
    for (;;) {
      const n = await inTransaction(this.db, (tx) => this.deleteEvents(tx, cutoff, 'expired'));
      result.events += n;
      if (n < BATCH) break;
    }
    for (;;) {
      const n = await inTransaction(this.db, (tx) => this.deleteEvents(tx, orphanCutoff, 'orphan'));
      result.events += n;
      if (n < BATCH) break;
    }
    for (;;) {
      const ids = await this.db
        .getRepository(WebhookAttemptEntity)
        .createQueryBuilder('a')
        .select('a.id', 'id')
        .where('a.created_at < :cutoff', { cutoff })
        .limit(BATCH)
        .getRawMany<{ id: string }>();
      if (ids.length > 0)
        await this.db.getRepository(WebhookAttemptEntity).delete(ids.map((r) => r.id));
      result.attempts += ids.length;
      if (ids.length < BATCH) break;
    }
    return result;
  }

  private async deleteEvents(
    tx: EntityManager,
    before: Date,
    which: 'expired' | 'orphan',
  ): Promise<number> {
    const query = tx
      .createQueryBuilder(WebhookEventEntity, 'e')
      .select('e.id', 'id')
      .where('e.created_at < :before', { before });
    if (which === 'expired')
      query.andWhere(
        `NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = e.id AND d.status = 'pending')`,
      );
    else query.andWhere('NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = e.id)');
    const ids = (await query.limit(BATCH).getRawMany<{ id: string }>()).map((r) => r.id);
    if (ids.length === 0) return 0;
    const deliveries = tx
      .createQueryBuilder(WebhookDeliveryEntity, 'd')
      .select('d.id')
      .where('d.event_id IN (:...ids)', { ids });
    await tx
      .createQueryBuilder()
      .delete()
      .from(WebhookAttemptEntity)
      .where(`delivery_id IN (${deliveries.getQuery()})`, deliveries.getParameters())
      .execute();
    await tx
      .createQueryBuilder()
      .delete()
      .from(WebhookDeliveryEntity)
      .where('event_id IN (:...ids)', { ids })
      .execute();
    await tx.delete(WebhookEventEntity, ids);
    return ids.length;
  }
}
