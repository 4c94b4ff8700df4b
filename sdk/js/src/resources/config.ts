import type { RequestOptions } from '../core.js';
import type { Config, ConfigUpdateParams } from '../types.js';
import { Resource } from './resource.js';

export class ConfigResource extends Resource {
  get(options?: RequestOptions): Promise<Config> {
    return this.transport.request({ method: 'GET', path: '/config', options });
  }

  /** Admins only; answers the new config. An empty `system_prompt` removes it. */
  update(params: ConfigUpdateParams, options?: RequestOptions): Promise<Config> {
    return this.transport.request({ method: 'PATCH', path: '/config', body: params, options });
  }
}
