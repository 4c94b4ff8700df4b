/** Event types a webhook may subscribe to (SPEC §9). */
export const EVENT_TYPES = [
  'message.created',
  'message.deleted',
  'session.created',
  'session.deleted',
  'skill.run.completed',
  'skill.run.failed',
  'user.created',
  'user.updated',
  'config.updated',
  'quota.exceeded',
] as const;

export type EventType = (typeof EVENT_TYPES)[number] | 'webhook.test';

/**
 * Changes only this installation's own subscribers hear (they alter who receives events); never
 * delivered to a webhook, whatever it subscribes to.
 */
export const INTERNAL_EVENT_TYPES = ['user.deleted', 'webhook.changed'] as const;

export type InternalEventType = (typeof INTERNAL_EVENT_TYPES)[number];

/** Events about the installation rather than one user's resources: admins' webhooks only. */
export const ADMIN_EVENTS: readonly string[] = ['user.created', 'user.updated', 'config.updated'];

export const ALL_EVENTS = '*';

/**
 * Whom an event concerns: one user's resources, the admins, or both (a user's quota: the user and
 * every active admin hear of it, each webhook once).
 */
export type Audience = { userId: string; alsoAdmins?: boolean } | 'admins';

/** A user's fields that decide which events their webhooks receive. */
export type AccessField = 'role' | 'disabled';

/** A change, as a producer announces it in the transaction that makes it. */
export interface DomainEvent {
  type: EventType | InternalEventType;
  audience: Audience;
  /** The payload's `data` (SPEC §9). */
  data: unknown;
  /** user.updated: which of these the change altered. */
  changed?: readonly AccessField[];
  at: Date;
}

export function isInternal(type: DomainEvent['type']): type is InternalEventType {
  return (INTERNAL_EVENT_TYPES as readonly string[]).includes(type);
}

export function subscribes(events: string[], type: string): boolean {
  return events.includes(type) || events.includes(ALL_EVENTS);
}
