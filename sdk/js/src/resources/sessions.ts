import { encodePath as p, type RequestOptions } from '../core.js';
import type {
  ListParams,
  Message,
  Page,
  Session,
  SessionCreateParams,
  SessionUpdateParams,
} from '../types.js';
import { Resource } from './resource.js';

/** A session's messages, oldest or newest first by their sequence. */
export class SessionMessages extends Resource {
  list(
    sessionId: string,
    params: ListParams = {},
    options?: RequestOptions,
  ): Promise<Page<Message>> {
    return this.transport.request({
      method: 'GET',
      path: p`/sessions/${sessionId}/messages`,
      query: { ...params },
      options,
    });
  }
}

/** The caller's own sessions (admins' too: chats are private). */
export class Sessions extends Resource {
  readonly messages = new SessionMessages(this.transport);

  create(params: SessionCreateParams = {}, options?: RequestOptions): Promise<Session> {
    return this.transport.request({ method: 'POST', path: '/sessions', body: params, options });
  }

  list(params: ListParams = {}, options?: RequestOptions): Promise<Page<Session>> {
    return this.transport.request({
      method: 'GET',
      path: '/sessions',
      query: { ...params },
      options,
    });
  }

  get(id: string, options?: RequestOptions): Promise<Session> {
    return this.transport.request({ method: 'GET', path: p`/sessions/${id}`, options });
  }

  update(id: string, params: SessionUpdateParams, options?: RequestOptions): Promise<Session> {
    return this.transport.request({
      method: 'PATCH',
      path: p`/sessions/${id}`,
      body: params,
      options,
    });
  }

  /** Deletes the session with its messages. */
  delete(id: string, options?: RequestOptions): Promise<void> {
    return this.transport.request({ method: 'DELETE', path: p`/sessions/${id}`, options });
  }
}

export class Messages extends Resource {
  delete(id: string, options?: RequestOptions): Promise<void> {
    return this.transport.request({ method: 'DELETE', path: p`/messages/${id}`, options });
  }
}
