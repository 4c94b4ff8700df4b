import { randomUUID } from 'node:crypto';

/** Formats the API answers in, for `expect.stringMatching`. */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/;

/** The fields of a stored message, sorted. */
export const MESSAGE_FIELDS = [
  'content',
  'created_at',
  'id',
  'model',
  'role',
  'session_id',
  'status',
  'tokens',
];

/** Ids that can match no row: each must answer the resource's 404, never a 400 or a 500. */
export const MALFORMED_IDS = ['123', 'not-a-uuid', `${randomUUID()}x`, "1' OR '1'='1", '%00'];
