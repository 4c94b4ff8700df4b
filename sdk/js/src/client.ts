import { ChatStream } from './chat-stream.js';
import {
  DEFAULT_BASE_URL,
  DEFAULT_MAX_RETRIES,
  DEFAULT_TIMEOUT_MS,
  type FetchLike,
  type RequestOptions,
  Transport,
} from './core.js';
import { ApiKeys, Auth } from './resources/auth.js';
import { ConfigResource } from './resources/config.js';
import { Models } from './resources/models.js';
import { Messages, Sessions } from './resources/sessions.js';
import { Skills } from './resources/skills.js';
import { Usage } from './resources/usage.js';
import { Users } from './resources/users.js';
import { Webhooks } from './resources/webhooks.js';
import type { ChatParams, ChatResponse } from './types.js';

export interface ClientOptions {
  /**
   * An API key (`oc_…`) or a JWT from `auth.login()`, sent as `Authorization: Bearer …`.
   * Default: the environment variable `OPENCLAW_API_KEY` (where `process.env` exists).
   */
  apiKey?: string;
  /**
   * The API's base URL, `/api/v1` included. Default: the environment variable `OPENCLAW_BASE_URL`,
   * else `http://localhost:3000/api/v1`.
   */
  baseURL?: string;
  /** Milliseconds before an attempt is given up (a stream: without any data). Default 10 minutes. */
  timeout?: number;
  /** Retries of a failed call (see the README for which failures). Default 2. */
  maxRetries?: number;
  /** A `fetch` to use instead of the global one (tests, proxies, older runtimes). */
  fetch?: FetchLike;
  /** Headers sent with every request. */
  defaultHeaders?: Record<string, string>;
}

/** The OpenClaw API: `client.chat()`, `client.chatStream()` and one property per resource. */
export class OpenClaw {
  readonly baseURL: string;
  readonly timeout: number;
  readonly maxRetries: number;

  readonly auth: Auth;
  readonly apiKeys: ApiKeys;
  readonly users: Users;
  readonly models: Models;
  readonly sessions: Sessions;
  readonly messages: Messages;
  readonly config: ConfigResource;
  readonly skills: Skills;
  readonly webhooks: Webhooks;
  readonly usage: Usage;

  private readonly transport: Transport;

  constructor(options: ClientOptions = {}) {
    const apiKey = options.apiKey ?? env('OPENCLAW_API_KEY');
    this.baseURL = (options.baseURL ?? env('OPENCLAW_BASE_URL') ?? DEFAULT_BASE_URL).replace(
      /\/+$/,
      '',
    );
    this.timeout = options.timeout ?? DEFAULT_TIMEOUT_MS;
    this.maxRetries = options.maxRetries ?? DEFAULT_MAX_RETRIES;
    if (!(this.timeout > 0))
      throw new TypeError('timeout must be a positive number of milliseconds');
    if (!Number.isInteger(this.maxRetries) || this.maxRetries < 0) {
      throw new TypeError('maxRetries must be an integer ≥ 0');
    }
    const fetchImpl = options.fetch ?? globalThis.fetch?.bind(globalThis);
    if (!fetchImpl) throw new TypeError('No fetch: pass options.fetch, or use Node.js 18 or later');

    this.transport = new Transport({
      apiKey: apiKey || undefined,
      baseURL: this.baseURL,
      timeout: this.timeout,
      maxRetries: this.maxRetries,
      fetch: fetchImpl,
      defaultHeaders: options.defaultHeaders ?? {},
    });
    this.auth = new Auth(this.transport);
    this.apiKeys = new ApiKeys(this.transport);
    this.users = new Users(this.transport);
    this.models = new Models(this.transport);
    this.sessions = new Sessions(this.transport);
    this.messages = new Messages(this.transport);
    this.config = new ConfigResource(this.transport);
    this.skills = new Skills(this.transport);
    this.webhooks = new Webhooks(this.transport);
    this.usage = new Usage(this.transport);
  }

  /** One chat turn: the whole reply at once. Without `session_id`, a new session is created. */
  chat(params: ChatParams, options?: RequestOptions): Promise<ChatResponse> {
    return this.transport.request({ method: 'POST', path: '/chat', body: params, options });
  }

  /**
   * One chat turn, streamed: `for await (const { text } of client.chatStream({ message }))`.
   * The request is sent when the iteration starts; afterwards `usage` holds
   * `{session_id, message_id, tokens}`. See {@link ChatStream}.
   */
  chatStream(params: ChatParams, options: RequestOptions = {}): ChatStream {
    return new ChatStream(
      (signal) =>
        this.transport.open({
          method: 'POST',
          path: '/chat/stream',
          body: params,
          accept: 'text/event-stream',
          options: { ...options, signal },
        }),
      options.signal,
    );
  }
}

/** An environment variable where there is a `process.env` (Node.js, Bun, Deno), else undefined. */
function env(name: string): string | undefined {
  const proc = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
  return proc?.env?.[name] || undefined;
}
