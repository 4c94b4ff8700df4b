import type { JobsOptions } from 'bullmq';

/** Queue names, job names, payloads and job options: the one place producers and processors agree on. */

/** BullMQ keys live under our own prefix, beside the server's other Redis keys. */
export const QUEUE_PREFIX = 'openclaw:bull';

export const SKILL_RUNS_QUEUE = 'skill-runs';
export const SKILL_RUN_JOB = 'run';

export interface SkillRunJob {
  runId: string;
}

export const WEBHOOK_DELIVERIES_QUEUE = 'webhook-deliveries';
export const WEBHOOK_DELIVERY_JOB = 'deliver';

export interface WebhookDeliveryJob {
  deliveryId: string;
}

/** One job per attempt: a retry must not be swallowed as a duplicate of the attempt still running. */
export function deliveryJobId(deliveryId: string, attempt: number): string {
  return `${deliveryId}_${attempt}`;
}

/** Each queue's payload type. */
export interface QueuePayloads {
  [SKILL_RUNS_QUEUE]: SkillRunJob;
  [WEBHOOK_DELIVERIES_QUEUE]: WebhookDeliveryJob;
}

export type QueueName = keyof QueuePayloads;

export const QUEUE_NAMES: QueueName[] = [SKILL_RUNS_QUEUE, WEBHOOK_DELIVERIES_QUEUE];

/** The job name and options every job of a queue is added with. */
export const JOBS: { [Q in QueueName]: { name: string; options: JobsOptions } } = {
  [SKILL_RUNS_QUEUE]: {
    name: SKILL_RUN_JOB,
    // Scripts are not assumed idempotent: a run whose job fails is not run again.
    options: {
      attempts: 1,
      removeOnComplete: { age: 3600, count: 1000 },
      removeOnFail: { age: 24 * 3600, count: 5000 },
    },
  },
  [WEBHOOK_DELIVERIES_QUEUE]: {
    name: WEBHOOK_DELIVERY_JOB,
    // The delivery row keeps every attempt's outcome; the job is only the hand-over.
    options: { removeOnComplete: true, removeOnFail: true },
  },
};
