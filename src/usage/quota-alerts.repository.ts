import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';

import { sqliteDateText } from '../core/database/pool-query';

/** The quota_alerts SQL; both dialects know ON CONFLICT … RETURNING, only their placeholders differ. */
@Injectable()
export class QuotaAlertsRepository {
  /** True when this call wrote the row, i.e. the alert has not fired before. */
  async claim(
    tx: EntityManager,
    alert: { subject: string; limitName: string; period: string; at: Date },
  ): Promise<boolean> {
    const postgres = tx.connection.options.type === 'postgres';
    const [a, b, c, d] = postgres ? ['$1', '$2', '$3', '$4'] : ['?', '?', '?', '?'];
    const at = postgres ? alert.at : sqliteDateText(alert.at);
    const rows = (await tx.query(
      `INSERT INTO quota_alerts (subject, limit_name, period, created_at) VALUES (${a}, ${b}, ${c}, ${d})
       ON CONFLICT DO NOTHING RETURNING subject`,
      [alert.subject, alert.limitName, alert.period, at],
    )) as unknown[];
    return rows.length > 0;
  }
}
