import { StartupError } from '../core/startup/startup.error';
import { type ModelPrice, parsePrice, readConfigFile } from './prices-file';
import type { ProviderConfig } from './provider.types';

interface FileProvider {
  name?: unknown;
  base_url?: unknown;
  api_key_env?: unknown;
  models?: unknown;
}

const NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/**
 * Reads PROVIDERS_FILE (JSON or YAML): `{providers: [{name, base_url, api_key_env?, models: [...]}]}`;
 * a model is an id, or `{id, input_price, output_price}` to price it (USD per million tokens).
 * A bad file stops the server with a line naming the file and the entry.
 */
export function readProvidersFile(
  path: string,
  keys: Readonly<Record<string, string>>,
): ProviderConfig[] {
  const doc = readConfigFile('PROVIDERS_FILE', path);
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
    if (!Array.isArray(raw.models) || raw.models.length === 0) {
      throw new StartupError(`${where}: "models" must be a non-empty list of model names`);
    }
    const models: string[] = [];
    const prices: Record<string, ModelPrice> = {};
    for (const model of raw.models as unknown[]) {
      if (typeof model === 'string' && model) {
        models.push(model);
        continue;
      }
      const { id, ...price } = (model ?? {}) as { id?: unknown };
      if (typeof id !== 'string' || !id) {
        throw new StartupError(
          `${where}: each model must be a name or {id, input_price, output_price}`,
        );
      }
      const parsed = parsePrice(price);
      if (typeof parsed === 'string') throw new StartupError(`${where}, model "${id}": ${parsed}`);
      models.push(id);
      prices[id] = parsed;
    }
    const keyVar = raw.api_key_env as string | undefined;
    return {
      name: raw.name,
      baseURL: raw.base_url,
      models,
      prices,
      keyVar,
      apiKey: keyVar ? keys[keyVar] : undefined,
    };
  });
}
