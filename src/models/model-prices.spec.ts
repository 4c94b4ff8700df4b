import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { loadEnv } from '../core/env/env';
import { EnvService } from '../core/env/env.service';
import { StartupError } from '../core/startup/startup.error';
import { ModelPrices } from './model-prices';
import { ModelRegistry } from './model-registry.service';
import { readProvidersFile } from './providers-file';

const dir = mkdtempSync(join(tmpdir(), 'openclaw-prices-'));
let files = 0;
function file(name: string, text: string): string {
  const path = join(dir, `${files++}-${name}`);
  writeFileSync(path, text);
  return path;
}

function prices(vars: Record<string, string>): ModelPrices {
  const env = new EnvService(loadEnv(vars, false));
  return new ModelPrices(env, new ModelRegistry(env));
}

const PROVIDERS = JSON.stringify({
  providers: [
    {
      name: 'local',
      base_url: 'http://127.0.0.1:11434/v1',
      models: ['plain', { id: 'priced', input_price: 1, output_price: 4 }],
    },
  ],
});

describe(ModelPrices.name, () => {
  it('costs a call from PRICES_FILE (JSON), in USD per million tokens', () => {
    const book = prices({
      PRICES_FILE: file(
        'prices.json',
        JSON.stringify({ 'gpt-4o': { input_price: 2.5, output_price: 10 } }),
      ),
    });
    expect(book.cost('gpt-4o', 1_000_000, 0)).toBe(2.5);
    expect(book.cost('gpt-4o', 1000, 2000)).toBeCloseTo(0.0225, 12);
    expect(book.price('gpt-4o')).toEqual({ input_price: 2.5, output_price: 10 });
  });

  it('reads YAML, and a price of 0 is a real price', () => {
    const book = prices({
      PRICES_FILE: file('prices.yaml', 'echo:\n  input_price: 0\n  output_price: 0\n'),
    });
    expect(book.cost('echo', 500, 500)).toBe(0);
  });

  it('answers null for a model without a price, never a guessed 0', () => {
    expect(prices({}).cost('echo', 10, 10)).toBeNull();
    expect(prices({}).price('echo')).toBeNull();
  });

  it('takes prices written in the providers file, and PRICES_FILE wins where both price a model', () => {
    const fromProviders = prices({ PROVIDERS_FILE: file('providers.json', PROVIDERS) });
    expect(fromProviders.cost('priced', 1_000_000, 1_000_000)).toBe(5);
    expect(fromProviders.cost('plain', 1, 1)).toBeNull();

    const both = prices({
      PROVIDERS_FILE: file('providers.json', PROVIDERS),
      PRICES_FILE: file(
        'prices.json',
        JSON.stringify({ priced: { input_price: 3, output_price: 3 } }),
      ),
    });
    expect(both.cost('priced', 1_000_000, 1_000_000)).toBe(6);
  });

  it('the providers file still lists a priced model by its id', () => {
    const [local] = readProvidersFile(file('providers.json', PROVIDERS), {});
    expect(local.models).toEqual(['plain', 'priced']);
    expect(local.prices).toEqual({ priced: { input_price: 1, output_price: 4 } });
  });

  describe('a bad file stops the start with a line naming the file and the model', () => {
    const cases: [string, string, string, RegExp][] = [
      ['not JSON', 'prices.json', '{', /^Cannot read PRICES_FILE .*prices\.json/],
      ['a list', 'prices.json', '[]', /PRICES_FILE .* must map model ids/],
      [
        'a missing price',
        'prices.json',
        JSON.stringify({ m: { input_price: 1 } }),
        /PRICES_FILE .*, model "m": "output_price" must be a number ≥ 0/,
      ],
      [
        'a negative price',
        'prices.yaml',
        'm:\n  input_price: -1\n  output_price: 1\n',
        /model "m": "input_price" must be a number ≥ 0/,
      ],
      [
        'a price as a string',
        'prices.json',
        JSON.stringify({ m: { input_price: '1', output_price: 1 } }),
        /model "m": "input_price"/,
      ],
      [
        'an unknown field',
        'prices.json',
        JSON.stringify({ m: { input_price: 1, output_price: 1, currency: 'EUR' } }),
        /model "m": unknown field "currency"/,
      ],
    ];
    it.each(cases)('%s', (_name, fileName, text, message) => {
      const path = file(fileName, text);
      expect(() => prices({ PRICES_FILE: path })).toThrow(StartupError);
      expect(() => prices({ PRICES_FILE: path })).toThrow(message);
    });

    it('a missing file', () => {
      expect(() => prices({ PRICES_FILE: join(dir, 'absent.json') })).toThrow(
        /^Cannot read PRICES_FILE .*absent\.json: ENOENT/,
      );
    });

    it('a bad price in the providers file', () => {
      const path = file(
        'providers.json',
        JSON.stringify({
          providers: [
            { name: 'x', base_url: 'http://h/v1', models: [{ id: 'm', input_price: 'free' }] },
          ],
        }),
      );
      expect(() => readProvidersFile(path, {})).toThrow(
        /PROVIDERS_FILE .*, provider 1, model "m": "input_price" must be a number ≥ 0/,
      );
      const noId = file(
        'providers.json',
        JSON.stringify({ providers: [{ name: 'x', base_url: 'http://h/v1', models: [{}] }] }),
      );
      expect(() => readProvidersFile(noId, {})).toThrow(/each model must be a name or \{id/);
    });
  });
});
