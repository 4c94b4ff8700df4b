/** Queue names, job names and payloads: the one place producers and processors agree on. */
export const SKILL_RUNS_QUEUE = 'skill-runs';
export const SKILL_RUN_JOB = 'run';

export interface SkillRunJob {
  runId: string;
}

/** BullMQ keys live under our own prefix, beside the server's other Redis keys. */
export const QUEUE_PREFIX = 'openclaw:bull';

export const WEBHOOK_DELIVERIES_QUEUE = 'webhook-deliveries';
export const WEBHOOK_DELIVERY_JOB = 'deliver';

export interface WebhookDeliveryJob {
  deliveryId: string;
}

/** One job per attempt: a retry must not be swallowed as a duplicate of the attempt still running. */
export function deliveryJobId(deliveryId: string, attempt: number): string {
  return `${deliveryId}_${attempt}`;
}
