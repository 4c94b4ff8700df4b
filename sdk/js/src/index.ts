export { ChatStream } from './chat-stream.js';
export { type ClientOptions, OpenClaw } from './client.js';
export type { FetchLike, RequestOptions } from './core.js';
export {
  type ClientErrorCode,
  OpenClawError,
  WebhookVerificationError,
  type WebhookVerificationErrorCode,
} from './errors.js';
export * from './types.js';
export { verifyWebhook, type VerifyWebhookOptions, type WebhookHeaders } from './webhook-verify.js';
