import type { EntityManager } from 'typeorm';

import type { Audience, DomainEvent, EventType } from './event-catalogue';

/** The injection token of the one subscriber of every event (webhooks/ provides it). */
export const EVENT_SINK = Symbol('EVENT_SINK');

/**
 * Whoever carries events out. `write` runs inside the producer's transaction, just before it
 * commits, and returns what to `dispatch` once it has committed.
 */
export interface EventSink<Pending = unknown> {
  write(tx: EntityManager, events: DomainEvent[]): Promise<Pending>;
  dispatch(pending: Pending): Promise<void>;
  /** The transaction failed after `write` ran in it. */
  rolledBack(events: DomainEvent[]): void;
  /** Whether an event of any of these types for this audience would be written anywhere now. */
  listens(types: EventType[], audience: Audience): Promise<boolean>;
}
