import { encodePath as p, type RequestOptions } from '../core.js';
import type {
  ApiKey,
  ApiKeyCreateParams,
  CreatedApiKey,
  ListParams,
  LoginParams,
  Page,
  Token,
} from '../types.js';
import { Resource } from './resource.js';

export class Auth extends Resource {
  /**
   * A JWT for an email and password; needs no API key. Use it as a client's `apiKey`:
   * `new OpenClaw({ apiKey: (await client.auth.login({ email, password })).access_token })`.
   */
  login(params: LoginParams, options?: RequestOptions): Promise<Token> {
    return this.transport.request({ method: 'POST', path: '/auth/login', body: params, options });
  }
}

/** The caller's own API keys. */
export class ApiKeys extends Resource {
  /** The answer carries the whole `key`: keep it, it is not shown again. */
  create(params: ApiKeyCreateParams, options?: RequestOptions): Promise<CreatedApiKey> {
    return this.transport.request({ method: 'POST', path: '/api-keys', body: params, options });
  }

  list(params: ListParams = {}, options?: RequestOptions): Promise<Page<ApiKey>> {
    return this.transport.request({
      method: 'GET',
      path: '/api-keys',
      query: { ...params },
      options,
    });
  }

  /** Revokes the key at once. */
  delete(id: string, options?: RequestOptions): Promise<void> {
    return this.transport.request({ method: 'DELETE', path: p`/api-keys/${id}`, options });
  }
}
