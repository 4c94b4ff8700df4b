import { readFileSync } from 'node:fs';

import { parse as parseYaml } from 'yaml';

import { StartupError } from '../core/startup/startup.error';
import type { ProviderConfig } from './provider.types';

interface FileProvider {
  name?: unknown;
  base_url?: unknown;
  api_key_env?: unknown;
  models?: unknown;
}

const NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/**
 * Reads PROVIDERS_FILE (JSON or YAML): `{providers: [{name, base_url, api_key_env?, models: [...]}]}`.
 * A bad file stops the server with a line naming the file and the entry.
 */
export function readProvidersFile(
  path: string,
  keys: Readonly<Record<string, string>>,
): ProviderConfig[] {
  let doc: unknown;
  try {
    const text = readFileSync(path, 'utf8');
    doc = /\.ya?ml$/i.test(path) ? parseYaml(text) : JSON.parse(text);
  } catch (err) {
    throw new StartupError(
      `Cannot read PROVIDERS_FILE ${path}: ${(err as Error).message.split('\n')[0]}`,
    );
  }
  const list = Array.isArray(doc) ? doc : (doc as { providers?: unknown })?.providers;
  if (!Array.isArray(list)) {
    throw new StartupError(`PROVIDERS_FILE ${path} must hold a "providers" list`);
  }
  return list.map((raw: FileProvider, i) => {
    const where = `PROVIDERS_FILE ${path}, provider ${i + 1}`;
    if (typeof raw?.name !== 'string' || !NAME.test(raw.name)) {
      throw new StartupError(`${where}: "name" must match ${NAME.source}`);
    }
    if (typeof raw.base_url !== 'string' || !/^https?:\/\/.+/.test(raw.base_url)) {
      throw new StartupError(`${where}: "base_url" must be an http(s) URL`);
    }
    if (
      raw.api_key_env !== undefined &&
      (typeof raw.api_key_env !== 'string' || !/^[A-Z0-9_]+$/.test(raw.api_key_env))
    ) {
      throw new StartupError(`${where}: "api_key_env" must name an environment variable`);
    }
    if (
      !Array.isArray(raw.models) ||
      raw.models.length === 0 ||
      !raw.models.every((m) => typeof m === 'string' && m)
    ) {
      throw new StartupError(`${where}: "models" must be a non-empty list of model names`);
    }
    const keyVar = raw.api_key_env as string | undefined;
    return {
      name: raw.name,
      baseURL: raw.base_url,
      models: raw.models as string[],
      keyVar,
      apiKey: keyVar ? keys[keyVar] : undefined,
    };
  });
}
