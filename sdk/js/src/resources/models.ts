import type { RequestOptions } from '../core.js';
import type { ModelList } from '../types.js';
import { Resource } from './resource.js';

export class Models extends Resource {
  /** The models usable now (not paginated). */
  list(options?: RequestOptions): Promise<ModelList> {
    return this.transport.request({ method: 'GET', path: '/models', options });
  }
}
