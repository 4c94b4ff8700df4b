// The API's wire format (SPEC §3): snake_case fields as the server sends them, timestamps as
// ISO 8601 UTC strings. Nothing is renamed or converted.

export type SortOrder = 'asc' | 'desc';

/** `?limit&offset&order` of every list endpoint. */
export interface ListParams {
  /** 1–100, default 50. */
  limit?: number;
  /** ≥ 0, default 0. */
  offset?: number;
  /** By creation (messages: by their sequence); default `desc`. */
  order?: SortOrder;
}

/** One page of a list endpoint. */
export interface Page<T> {
  data: T[];
  /** Every matching item, not only this page. */
  total: number;
  limit: number;
  offset: number;
}

/** The body of every error the API answers. */
export interface ErrorEnvelope {
  error: { code: string; message: string; details: Record<string, unknown> };
}

// Auth and API keys

export interface LoginParams {
  email: string;
  password: string;
}

export interface Token {
  /** A JWT: pass it as `apiKey` to a client. */
  access_token: string;
  token_type: 'Bearer';
  /** Seconds until it expires. */
  expires_in: number;
}

export interface ApiKey {
  id: string;
  name: string;
  /** The key's first 12 characters, to tell keys apart. */
  prefix: string;
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
  /** The key's own request limit per minute (below the user's); null: only the user's applies. */
  rate_limit_per_minute: number | null;
  /** The only models the key may use (others: 403 MODEL_NOT_ALLOWED); null: any model. */
  models: string[] | null;
  /** The key's own daily token limit (input + output, UTC day); null: only the user's quota applies. */
  tokens_per_day: number | null;
}

export interface CreatedApiKey extends ApiKey {
  /** The whole key (`oc_…`): shown only in this answer. */
  key: string;
}

export interface ApiKeyCreateParams {
  name: string;
  /** ISO 8601 date-time; omitted: never expires. */
  expires_at?: string;
  /** A lower limit for this key alone; it still shares the user's. */
  rate_limit_per_minute?: number;
  /** The only models this key may use; each must be one of `models.list()`. */
  models?: string[];
  /** A daily token limit for this key alone (input + output, UTC day). */
  tokens_per_day?: number;
}

// Users

export type Role = 'admin' | 'user';

/**
 * A user's limits: tokens are input + output, days and months UTC calendar periods. A field that
 * is null or left out is no limit.
 */
export interface UserQuota {
  tokens_per_day?: number | null;
  tokens_per_month?: number | null;
  cost_per_month_usd?: number | null;
}

export interface User {
  id: string;
  email: string;
  name: string | null;
  role: Role;
  disabled: boolean;
  /** The user's own limits (every field present); null: the config's `default_user_quota` applies. */
  quota: UserQuota | null;
  created_at: string;
  updated_at: string;
}

export interface UserCreateParams {
  email: string;
  /** 8–128 characters. */
  password: string;
  name?: string;
  role?: Role;
  /** The user's limits; null or omitted: the config's `default_user_quota` applies. */
  quota?: UserQuota | null;
}

export interface UserUpdateParams {
  name?: string;
  email?: string;
  password?: string;
  /** Needed to change one's own `email` or `password`. */
  current_password?: string;
  /** Admins only. */
  role?: Role;
  /** Admins only. */
  disabled?: boolean;
  /** Admins only: replaces the user's limits; null falls back to the config's default, `{}` is no limit. */
  quota?: UserQuota | null;
}

// Models

export interface Model {
  /** The name to pass as `model`. */
  id: string;
  /** `echo`, `deepseek`, `openai` or a provider from the server's PROVIDERS_FILE. */
  provider: string;
}

export interface ModelList {
  data: Model[];
}

// Chat

export interface ChatParams {
  message: string;
  /** Continue this session; omitted: a new session is created. */
  session_id?: string;
  /** Default: the session's model, else the configured default. */
  model?: string;
  /** 0–2; default: the configured temperature. */
  temperature?: number;
}

export interface TokenUsage {
  input: number;
  output: number;
}

export interface ChatResponse {
  /** The assistant's reply. */
  response: string;
  session_id: string;
  /** The stored assistant message. */
  message_id: string;
  model: string;
  tokens: TokenUsage;
}

/** One piece of a streamed reply. */
export interface ChatChunk {
  text: string;
}

/** Sent once a streamed reply is complete and stored. */
export interface ChatUsage {
  session_id: string;
  message_id: string;
  tokens: TokenUsage;
}

// Sessions and messages

export interface Session {
  id: string;
  name: string;
  /** The session's own model; null follows the configured default. */
  model: string | null;
  created_at: string;
  updated_at: string;
}

export interface SessionCreateParams {
  name?: string;
  model?: string;
}

export type SessionUpdateParams = SessionCreateParams;

export interface Message {
  id: string;
  session_id: string;
  role: 'user' | 'assistant';
  content: string;
  /** The model of the turn (may be null on a user's message). */
  model: string | null;
  tokens: number;
  /** `incomplete` when a reply stopped early. */
  status: 'complete' | 'incomplete';
  created_at: string;
}

// Config

export interface Config {
  model: string;
  temperature: number;
  max_tokens: number;
  /** Empty when there is none. */
  system_prompt: string;
  /** The quota of every user whose own `quota` is null; null: no limit. */
  default_user_quota: UserQuota | null;
}

export type ConfigUpdateParams = Partial<Config>;

// Usage

export type UsageGroupBy = 'day' | 'model' | 'api_key' | 'user';

/** Which usage to read. Dates are ISO 8601, UTC; default: the last 30 days. */
export interface UsageRecordListParams extends ListParams {
  /** Inclusive; a date means its UTC midnight. */
  from?: string;
  /** A date-time is exclusive; a date includes that whole UTC day. */
  to?: string;
  /** Admins only: this user's usage instead of the caller's. */
  user_id?: string;
  model?: string;
  api_key_id?: string;
}

export interface UsageReportParams extends Omit<UsageRecordListParams, keyof ListParams> {
  /** Default `day`; `user` (every user's usage) is for admins only. */
  group_by?: UsageGroupBy;
}

export interface UsageTotals {
  requests: number;
  input_tokens: number;
  output_tokens: number;
  /** USD of the priced calls; null when none had a price. */
  cost_usd: number | null;
  /** Calls of a model without a price, not part of `cost_usd`. */
  unpriced_requests: number;
}

export interface UsageGroup extends UsageTotals {
  /** The UTC day (`YYYY-MM-DD`), model, API key id (null: JWT calls) or user id. */
  key: string | null;
}

export interface UsageReport {
  data: UsageGroup[];
  totals: UsageTotals;
  /** The window read: `from` inclusive, `to` exclusive, ISO 8601 UTC. */
  from: string;
  to: string;
  group_by: UsageGroupBy;
}

/** One provider call; never any message content. */
export interface UsageRecord {
  id: string;
  user_id: string;
  /** Null for a call made with a JWT. */
  api_key_id: string | null;
  model: string;
  provider: string;
  /** `/api/v1/chat`, `/api/v1/chat/stream` or `/v1/chat/completions`. */
  endpoint: string;
  status: 'complete' | 'incomplete' | 'failed';
  input_tokens: number;
  output_tokens: number;
  /** USD; null when the model has no price. */
  cost_usd: number | null;
  latency_ms: number;
  created_at: string;
}

// Skills

export interface Skill {
  name: string;
  description: string;
  /** Shown to admins only. */
  script?: string;
  timeout_ms: number;
  created_at: string;
  updated_at: string;
}

export interface SkillCreateParams {
  /** `^[a-z0-9][a-z0-9_-]{0,63}$` */
  name: string;
  description?: string;
  script: string;
  timeout_ms?: number;
}

export type SkillUpdateParams = Partial<Omit<SkillCreateParams, 'name'>>;

export type SkillParamValue = string | number | boolean;

export type SkillRunStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'timed_out';

export interface SkillRun {
  id: string;
  /** The skill's name. */
  skill: string;
  status: SkillRunStatus;
  params: Record<string, SkillParamValue>;
  /** Null until the script has exited. */
  exit_code: number | null;
  stdout: string;
  stderr: string;
  output_truncated: boolean;
  duration_ms: number | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
}

export interface SkillRunParams {
  /** Each becomes the environment variable `PARAM_<KEY>`; keys match `^[A-Za-z_][A-Za-z0-9_]{0,63}$`. */
  params?: Record<string, SkillParamValue>;
  /**
   * `true` (default): the server waits for the run up to its SKILL_RUN_WAIT_MS. `false`: it answers
   * at once with the queued run. Either way, check `status`: a run still going is `queued` or `running`.
   */
  wait?: boolean;
}

// Webhooks

export type WebhookEventType =
  | 'message.created'
  | 'message.deleted'
  | 'session.created'
  | 'session.deleted'
  | 'skill.run.completed'
  | 'skill.run.failed'
  | 'user.created'
  | 'user.updated'
  | 'config.updated'
  | 'quota.exceeded';

export interface Webhook {
  id: string;
  url: string;
  events: (WebhookEventType | '*')[];
  description: string;
  active: boolean;
  /** The signing secret (`whsec_…`): only in the answers of create and rotateSecret. */
  secret?: string;
  created_at: string;
  updated_at: string;
}

/** A webhook as create and rotateSecret answer it: with its secret. */
export interface WebhookWithSecret extends Webhook {
  secret: string;
}

export interface WebhookCreateParams {
  url: string;
  events: (WebhookEventType | '*')[];
  description?: string;
}

export interface WebhookUpdateParams {
  url?: string;
  events?: (WebhookEventType | '*')[];
  active?: boolean;
  description?: string;
}

export interface DeliveryAttempt {
  attempt: number;
  /** Null when no answer came (network error, timeout). */
  status_code: number | null;
  duration_ms: number;
  error: string | null;
  /** The first KiB of the receiver's answer. */
  response_body: string | null;
  created_at: string;
}

export interface Delivery {
  id: string;
  webhook_id: string;
  event_id: string;
  /** e.g. `session.created` or `webhook.test`. */
  event_type: string;
  status: 'pending' | 'succeeded' | 'failed';
  attempts: DeliveryAttempt[];
  /** When the next attempt is due; null unless pending. */
  next_attempt_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface TestDelivery {
  delivery_id: string;
  /** The receiver answered 2xx. */
  success: boolean;
  status_code: number | null;
  duration_ms: number;
  error: string | null;
}

/** The body of a webhook delivery, as `verifyWebhook` returns it. */
export interface WebhookEvent<T = Record<string, unknown>> {
  /** `evt_…`: the same on every retry of this event (the `webhook-id` header). */
  id: string;
  type: WebhookEventType | 'webhook.test' | (string & {});
  created_at: string;
  data: T;
}
