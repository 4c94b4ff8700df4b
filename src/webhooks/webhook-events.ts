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
] as const;

export type EventType = (typeof EVENT_TYPES)[number] | 'webhook.test';

/** Events about the installation rather than one user's resources: admins' webhooks only. */
export const ADMIN_EVENTS: readonly string[] = ['user.created', 'user.updated', 'config.updated'];

export const ALL_EVENTS = '*';

/** Whom an event concerns: one user's resources, or the admins. */
export type Audience = { userId: string } | 'admins';

export function subscribes(events: string[], type: string): boolean {
  return events.includes(type) || events.includes(ALL_EVENTS);
}
