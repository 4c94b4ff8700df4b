import { Injectable } from '@nestjs/common';

import { EnvService } from '../core/env/env.service';
import { ModelRegistry } from './model-registry.service';
import { type ModelPrice, readPricesFile } from './prices-file';

const PER_TOKENS = 1_000_000;

/**
 * What a call cost, from the prices in USD per million tokens of PRICES_FILE and of the providers
 * file (PRICES_FILE wins where both price a model: it is the operator's own list).
 */
@Injectable()
export class ModelPrices {
  private readonly prices: ReadonlyMap<string, ModelPrice>;

  constructor(env: EnvService, registry: ModelRegistry) {
    const file = env.get('PRICES_FILE');
    this.prices = new Map([
      ...registry.listedPrices(),
      ...(file ? readPricesFile(file) : new Map<string, ModelPrice>()),
    ]);
  }

  price(model: string): ModelPrice | null {
    return this.prices.get(model) ?? null;
  }

  /** USD, or null for a model without a price: an unknown cost is never a guessed 0. */
  cost(model: string, inputTokens: number, outputTokens: number): number | null {
    const price = this.prices.get(model);
    if (!price) return null;
    return (inputTokens * price.input_price + outputTokens * price.output_price) / PER_TOKENS;
  }
}
