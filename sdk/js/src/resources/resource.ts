import type { Transport } from '../core.js';

export abstract class Resource {
  /** @internal */
  constructor(protected readonly transport: Transport) {}
}
