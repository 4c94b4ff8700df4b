import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

import type { Principal } from '../core/auth/principal';
import { EventsService } from '../core/events/events.service';
import { QuotaAlertsRepository } from './quota-alerts.repository';
import { Limit, shownUsed, subjectId } from './quota-limits';

// Alerts this replica knows were claimed; a bound so a long-running process does not grow with it.
const REMEMBERED = 10_000;

/**
 * `quota.exceeded` (SPEC §13), once per subject, limit and period across replicas and restarts:
 * the event is emitted in the transaction that claims its quota_alerts row, so a second claim —
 * another replica, or this one after Redis lost the counters — finds the row and emits nothing.
 */
@Injectable()
export class QuotaAlerts {
  private readonly logger = new Logger(QuotaAlerts.name);
  private readonly claimed = new Set<string>();

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly events: EventsService,
    private readonly alerts: QuotaAlertsRepository,
  ) {}

  /** Emits the event unless it fired before; failures are logged (the call's answer stands). */
  async reached(principal: Principal, limit: Limit, used: number, at: Date): Promise<void> {
    const subject = subjectId(limit.counter.subject);
    const { period } = limit.counter;
    const id = `${subject}:${limit.name}:${period.id}`;
    if (this.claimed.has(id)) return;
    try {
      await this.events.transaction(this.db, async (tx, emit) => {
        const claim = { subject, limitName: limit.name, period: period.id, at };
        if (!(await this.alerts.claim(tx, claim))) return;
        await emit(
          'quota.exceeded',
          { userId: principal.userId, alsoAdmins: true },
          {
            user_id: principal.userId,
            email: principal.email,
            api_key_id: 'apiKeyId' in limit.counter.subject ? limit.counter.subject.apiKeyId : null,
            limit_name: limit.name,
            limit: limit.shown,
            used: shownUsed(limit, used),
            resets_at: period.end.toISOString(),
          },
        );
      });
    } catch (err) {
      this.logger.error(
        `quota.exceeded for ${id} not recorded: ${err instanceof Error ? err.message : String(err)}`,
      );
      return;
    }
    if (this.claimed.size >= REMEMBERED) this.claimed.clear();
    this.claimed.add(id);
  }
}
