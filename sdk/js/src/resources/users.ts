import { encodePath as p, type RequestOptions } from '../core.js';
import type { ListParams, Page, User, UserCreateParams, UserUpdateParams } from '../types.js';
import { Resource } from './resource.js';

export class Users extends Resource {
  /** The caller. */
  me(options?: RequestOptions): Promise<User> {
    return this.transport.request({ method: 'GET', path: '/users/me', options });
  }

  /** Admins only. */
  create(params: UserCreateParams, options?: RequestOptions): Promise<User> {
    return this.transport.request({ method: 'POST', path: '/users', body: params, options });
  }

  /** Admins only. */
  list(params: ListParams = {}, options?: RequestOptions): Promise<Page<User>> {
    return this.transport.request({ method: 'GET', path: '/users', query: { ...params }, options });
  }

  /** Admins, or the user themself. */
  get(id: string, options?: RequestOptions): Promise<User> {
    return this.transport.request({ method: 'GET', path: p`/users/${id}`, options });
  }

  /** Admins, or the user themself (who may not set `role`, `disabled` or `quota`). */
  update(id: string, params: UserUpdateParams, options?: RequestOptions): Promise<User> {
    return this.transport.request({
      method: 'PATCH',
      path: p`/users/${id}`,
      body: params,
      options,
    });
  }

  /** Admins only: removes the user with their sessions, keys and webhooks. */
  delete(id: string, options?: RequestOptions): Promise<void> {
    return this.transport.request({ method: 'DELETE', path: p`/users/${id}`, options });
  }
}
