import { Inject, Injectable } from '@nestjs/common';
import type { DataSource, EntityManager } from 'typeorm';

import { inTransaction } from '../database/transaction';
import type { AccessField, Audience, DomainEvent, EventType } from './event-catalogue';
import { EVENT_SINK, type EventSink } from './event-sink';

export type Emit = (
  type: DomainEvent['type'],
  audience: Audience,
  data: unknown,
  changed?: readonly AccessField[],
) => Promise<void>;

/**
 * The unit of work: a change and the events it emits are written in one transaction, and carried
 * out (enqueued, caches cleared) only once it has committed.
 */
@Injectable()
export class EventsService {
  constructor(@Inject(EVENT_SINK) private readonly sink: EventSink) {}

  async transaction<T>(
    db: DataSource,
    work: (tx: EntityManager, emit: Emit) => Promise<T>,
  ): Promise<T> {
    const emitted: DomainEvent[] = [];
    let pending: unknown;
    let wrote = false;
    const result = await inTransaction(db, async (tx) => {
      const value = await work(tx, (type, audience, data, changed) => {
        emitted.push({ type, audience, data, changed, at: new Date() });
        return Promise.resolve();
      });
      wrote = emitted.length > 0;
      pending = await this.sink.write(tx, emitted);
      return value;
    }).catch((err: unknown) => {
      if (wrote) this.sink.rolledBack(emitted);
      throw err;
    });
    await this.sink.dispatch(pending);
    return result;
  }

  /** Whether an event of any of these types would be delivered now (a read of a cache, mostly). */
  hasListeners(types: EventType | EventType[], audience: Audience): Promise<boolean> {
    return this.sink.listens(Array.isArray(types) ? types : [types], audience);
  }
}
