/** The API's shapes (SPEC §3–§13), as the console reads them. */

export interface Page<T> {
  data: T[];
  total: number;
  limit: number;
  offset: number;
}

export type Role = 'admin' | 'user';

export interface Quota {
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
  quota?: Quota | null;
  created_at: string;
  updated_at: string;
}

export interface LoginAnswer {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
}

export interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
  models?: string[] | null;
  rate_limit_per_minute?: number | null;
  tokens_per_day?: number | null;
}

export interface CreatedApiKey extends ApiKey {
  key: string;
}

export interface Model {
  id: string;
  provider: string;
}

export interface Session {
  id: string;
  name: string;
  model: string | null;
  created_at: string;
  updated_at: string;
}

export interface Message {
  id: string;
  session_id: string;
  role: 'user' | 'assistant' | 'system';
  content: string;
  model: string | null;
  tokens: number | { input?: number; output?: number } | null;
  status: 'complete' | 'incomplete';
  created_at: string;
}

export interface Skill {
  name: string;
  description: string;
  script?: string;
  timeout_ms: number;
  created_at: string;
  updated_at: string;
}

export type RunStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'timed_out';

export interface SkillRun {
  id: string;
  skill: string;
  status: RunStatus;
  params: Record<string, string | number | boolean>;
  exit_code: number | null;
  stdout: string;
  stderr: string;
  output_truncated: boolean;
  duration_ms: number | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
}

export interface Webhook {
  id: string;
  url: string;
  events: string[];
  description?: string;
  active: boolean;
  secret?: string;
  created_at: string;
  updated_at?: string;
}

export interface Attempt {
  attempt: number;
  status_code: number | null;
  duration_ms: number;
  error: string | null;
  response_body: string | null;
  created_at: string;
}

export interface Delivery {
  id: string;
  webhook_id: string;
  event_id: string;
  event_type: string;
  status: 'pending' | 'succeeded' | 'failed';
  attempts: Attempt[];
  next_attempt_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface TestDelivery {
  delivery_id: string;
  success: boolean;
  status_code: number | null;
  duration_ms: number;
  error: string | null;
}

export interface AppConfig {
  model: string | null;
  temperature: number | null;
  max_tokens: number | null;
  system_prompt: string | null;
  default_user_quota?: Quota | null;
}

export type GroupBy = 'day' | 'model' | 'api_key' | 'user';

export interface UsageRow {
  key: string | null;
  requests: number;
  input_tokens: number;
  output_tokens: number;
  cost_usd: number | null;
  unpriced_requests?: number;
}

export interface UsageReport {
  data: UsageRow[];
  totals: Omit<UsageRow, 'key'>;
  from: string;
  to: string;
  group_by: GroupBy;
}

export interface UsageRecord {
  id: string;
  user_id: string;
  api_key_id: string | null;
  model: string;
  provider: string;
  endpoint: string;
  status: 'complete' | 'incomplete' | 'failed';
  input_tokens: number;
  output_tokens: number;
  cost_usd: number | null;
  latency_ms: number;
  created_at: string;
}

/** SPEC §9: the events a webhook may subscribe to. */
export const EVENTS = [
  'message.created',
  'message.deleted',
  'session.created',
  'session.deleted',
  'skill.run.completed',
  'skill.run.failed',
  'quota.exceeded',
] as const;
/** Delivered to active admins' webhooks only. */
export const ADMIN_EVENTS = ['user.created', 'user.updated', 'config.updated'] as const;
