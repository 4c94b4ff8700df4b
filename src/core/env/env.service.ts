import type { Env } from './env';

/** The validated environment, injected wherever settings are needed. */
export class EnvService {
  constructor(readonly env: Env) {}

  get<K extends keyof Env>(key: K): Env[K] {
    return this.env[key];
  }
}
