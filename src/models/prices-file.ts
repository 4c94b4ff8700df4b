import { readFileSync } from 'node:fs';

import { parse as parseYaml } from 'yaml';

import { StartupError } from '../core/startup/startup.error';

/** USD per million tokens (SPEC §13). */
export interface ModelPrice {
  input_price: number;
  output_price: number;
}

const PRICE_FIELDS = ['input_price', 'output_price'] as const;

/**
 * A price as written in a file, or the reason it is not one: both fields, each a finite number
 * ≥ 0 (a free model is priced 0 on purpose), nothing else.
 */
export function parsePrice(raw: unknown): ModelPrice | string {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return 'must be an object {input_price, output_price}';
  }
  const entry = raw as Record<string, unknown>;
  for (const field of PRICE_FIELDS) {
    const value = entry[field];
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      return `"${field}" must be a number ≥ 0 (USD per million tokens)`;
    }
  }
  const unknown = Object.keys(entry).filter(
    (k) => !(PRICE_FIELDS as readonly string[]).includes(k),
  );
  if (unknown.length > 0) return `unknown field "${unknown[0]}"`;
  return { input_price: entry.input_price as number, output_price: entry.output_price as number };
}

/** Reads a JSON or YAML file, or stops the server with one line naming the variable and the file. */
export function readConfigFile(variable: string, path: string): unknown {
  try {
    const text = readFileSync(path, 'utf8');
    return /\.ya?ml$/i.test(path) ? parseYaml(text) : JSON.parse(text);
  } catch (err) {
    throw new StartupError(
      `Cannot read ${variable} ${path}: ${(err as Error).message.split('\n')[0]}`,
    );
  }
}

/**
 * Reads PRICES_FILE (JSON or YAML): `{"<model id>": {"input_price": 2.5, "output_price": 10}}`.
 * A bad file stops the server with a line naming the file and the model.
 */
export function readPricesFile(path: string): Map<string, ModelPrice> {
  const doc = readConfigFile('PRICES_FILE', path);
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new StartupError(`PRICES_FILE ${path} must map model ids to {input_price, output_price}`);
  }
  const prices = new Map<string, ModelPrice>();
  for (const [model, raw] of Object.entries(doc)) {
    const price = parsePrice(raw);
    if (typeof price === 'string') {
      throw new StartupError(`PRICES_FILE ${path}, model "${model}": ${price}`);
    }
    prices.set(model, price);
  }
  return prices;
}
