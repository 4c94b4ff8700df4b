import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { Agent } from 'undici';

import { keyMayUse } from '../core/auth/key-models';
import type { Principal } from '../core/auth/principal';
import { EnvService } from '../core/env/env.service';
import { AppException } from '../core/errors/app.exception';
import { ErrorCode } from '../core/errors/error-code';
import { ECHO_MODEL, EchoProvider } from './echo.provider';
import { OpenAICompatibleProvider } from './openai-compatible.provider';
import type { ModelPrice } from './prices-file';
import type { ModelProvider, ProviderConfig } from './provider.types';
import { readProvidersFile } from './providers-file';

export const DEEPSEEK_MODELS = ['deepseek-chat', 'deepseek-reasoner'];
export const OPENAI_MODELS = [
  'gpt-4o',
  'gpt-4o-mini',
  'gpt-4.1',
  'gpt-4.1-mini',
  'gpt-4.1-nano',
  'o4-mini',
];

export interface ModelInfo {
  id: string;
  provider: string;
}

interface KnownModel extends ModelInfo {
  /** What to set to make it usable; absent when it already is. */
  missing?: string;
}

export interface ResolvedModel {
  id: string;
  provider: ModelProvider;
}

/** Every model the server knows, which of them are usable now, and their providers. */
@Injectable()
export class ModelRegistry implements OnApplicationShutdown {
  private readonly logger = new Logger(ModelRegistry.name);
  private readonly known = new Map<string, KnownModel>();
  private readonly providers = new Map<string, ModelProvider>();
  private readonly usable: ModelInfo[] = [];
  private readonly prices = new Map<string, ModelPrice>();
  /**
   * One keep-alive pool per upstream origin, shared by every provider. UPSTREAM_TIMEOUT_MS is the
   * one timeout (the providers' Deadline, renewed by each chunk of a stream): undici's own header
   * and body timeouts (300 s) would cut a longer configured one.
   */
  private readonly agent = new Agent({
    keepAliveTimeout: 30_000,
    keepAliveMaxTimeout: 600_000,
    headersTimeout: 0,
    bodyTimeout: 0,
  });

  constructor(env: EnvService) {
    const policy = {
      timeoutMs: env.get('UPSTREAM_TIMEOUT_MS'),
      maxRetries: env.get('UPSTREAM_MAX_RETRIES'),
    };
    const configs: ProviderConfig[] = [
      {
        name: 'deepseek',
        baseURL: env.get('DEEPSEEK_BASE_URL'),
        models: DEEPSEEK_MODELS,
        keyVar: 'DEEPSEEK_API_KEY',
        apiKey: env.get('DEEPSEEK_API_KEY'),
      },
      {
        name: 'openai',
        baseURL: env.get('OPENAI_BASE_URL'),
        models: OPENAI_MODELS,
        keyVar: 'OPENAI_API_KEY',
        apiKey: env.get('OPENAI_API_KEY'),
      },
    ];
    const file = env.get('PROVIDERS_FILE');
    if (file) configs.push(...readProvidersFile(file, env.get('variables')));

    this.register({
      id: ECHO_MODEL,
      provider: 'echo',
      missing: env.get('ECHO_MODEL') ? undefined : 'ECHO_MODEL=true',
    });
    if (env.get('ECHO_MODEL')) this.providers.set('echo', new EchoProvider());
    for (const config of configs) {
      const ready = !config.keyVar || Boolean(config.apiKey);
      if (ready)
        this.providers.set(config.name, new OpenAICompatibleProvider(config, policy, this.agent));
      for (const id of config.models) {
        this.register({ id, provider: config.name, missing: ready ? undefined : config.keyVar });
        const price = config.prices?.[id];
        if (price && this.known.get(id)?.provider === config.name) this.prices.set(id, price);
      }
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.agent.close();
  }

  private register(model: KnownModel): void {
    const existing = this.known.get(model.id);
    // A usable provider wins a name clash; otherwise the first one named keeps it.
    if (existing && (existing.missing === undefined || model.missing !== undefined)) {
      this.logger.warn(
        `Model ${model.id} of ${model.provider} is ignored: ${existing.provider} already serves it`,
      );
      return;
    }
    if (existing)
      this.usable.splice(
        this.usable.findIndex((m) => m.id === model.id),
        1,
      );
    this.known.set(model.id, model);
    if (model.missing === undefined) this.usable.push({ id: model.id, provider: model.provider });
  }

  /** The prices the providers file gave its models, for the provider that serves each. */
  listedPrices(): ReadonlyMap<string, ModelPrice> {
    return this.prices;
  }

  list(): ModelInfo[] {
    return this.usable;
  }

  /** The usable models that this caller may use: a key limited to some `models` sees only those. */
  listFor(principal: Principal): ModelInfo[] {
    return this.usable.filter((m) => keyMayUse(principal, m.id));
  }

  isConfigured(id: string): boolean {
    const model = this.known.get(id);
    return model !== undefined && model.missing === undefined;
  }

  /** The model, or a 404 MODEL_NOT_FOUND that says what to set to make it usable. */
  resolve(id: string): ResolvedModel {
    const model = this.known.get(id);
    if (!model) {
      throw new AppException(
        ErrorCode.MODEL_NOT_FOUND,
        `Unknown model "${id}": GET /api/v1/models lists the usable ones; DEEPSEEK_API_KEY, OPENAI_API_KEY or PROVIDERS_FILE add more`,
        { model: id },
      );
    }
    if (model.missing !== undefined) {
      throw new AppException(
        ErrorCode.MODEL_NOT_FOUND,
        `Model "${id}" is not configured: set ${model.missing} to enable the ${model.provider} provider`,
        { model: id, provider: model.provider, set: model.missing },
      );
    }
    return { id, provider: this.providers.get(model.provider)! };
  }
}
