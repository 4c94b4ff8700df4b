import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';

import { QUOTA_LIMIT_CHANGES, QuotaLimitChanges } from '../core/auth/user-quota';
import { normalizeQuota } from '../core/auth/user-quota.dto';
import { EventsService } from '../core/events/events.service';
import { ClusterInvalidation } from '../core/redis/cluster-invalidation';
import { RedisService } from '../core/redis/redis.service';
import { ECHO_MODEL } from '../models/echo.provider';
import { ModelRegistry } from '../models/model-registry.service';
import type { ConfigResponseDto } from './dto/config-response.dto';
import type { UpdateConfigDto } from './dto/update-config.dto';
import { AppConfigEntity } from './entities/app-config.entity';

const ROW_ID = 1;
export const DEFAULT_TEMPERATURE = 0.7;
export const DEFAULT_MAX_TOKENS = 4096;
// Chat reads the config on every turn. A change made through the API clears every replica's copy
// before it is answered; one made in the database directly is seen within this time.
const CACHE_MS = 500;

@Injectable()
export class AppConfigService implements OnApplicationShutdown {
  private cached?: { value: ConfigResponseDto; at: number };
  /** The read under way: requests arriving meanwhile share it instead of each reading the row. */
  private loading?: { mark: number; value: Promise<ConfigResponseDto> };
  private readonly invalidation: ClusterInvalidation;

  constructor(
    @InjectRepository(AppConfigEntity) private readonly repo: Repository<AppConfigEntity>,
    private readonly models: ModelRegistry,
    private readonly events: EventsService,
    @Inject(QUOTA_LIMIT_CHANGES) private readonly quotaLimits: QuotaLimitChanges,
    redis: RedisService,
  ) {
    this.invalidation = new ClusterInvalidation(
      redis,
      'config',
      () => (this.cached = undefined),
      new Logger(AppConfigService.name),
    );
  }

  /** Until an admin picks one: deepseek-chat when configured, else echo (SPEC §5). */
  defaultModel(): string {
    return this.models.isConfigured('deepseek-chat') ? 'deepseek-chat' : ECHO_MODEL;
  }

  async get(): Promise<ConfigResponseDto> {
    const mark = this.invalidation.mark();
    if (this.cached && Date.now() - this.cached.at < CACHE_MS) return this.cached.value;
    // Joined only while no change was announced since it began: a read that started before a
    // change may return the old row.
    if (this.loading?.mark === mark) return this.loading.value;
    const loading = { mark, value: this.load(mark) };
    this.loading = loading;
    try {
      return await loading.value;
    } finally {
      if (this.loading === loading) this.loading = undefined;
    }
  }

  private async load(mark: number): Promise<ConfigResponseDto> {
    const row = await this.repo.findOneBy({ id: ROW_ID });
    const value = toConfig(row, this.defaultModel());
    if (this.invalidation.mayStore(mark)) this.cached = { value, at: Date.now() };
    return value;
  }

  async update(dto: UpdateConfigDto): Promise<ConfigResponseDto> {
    if (dto.model !== undefined) this.models.resolve(dto.model);
    const row = (await this.repo.findOneBy({ id: ROW_ID })) ?? this.repo.create({ id: ROW_ID });
    if (dto.model !== undefined) row.model = dto.model;
    if (dto.temperature !== undefined) row.temperature = dto.temperature;
    if (dto.max_tokens !== undefined) row.maxTokens = dto.max_tokens;
    if (dto.system_prompt !== undefined) row.systemPrompt = dto.system_prompt;
    if (dto.default_user_quota !== undefined)
      row.defaultUserQuota = normalizeQuota(dto.default_user_quota);
    row.updatedAt = new Date();
    const updated = await this.events.transaction(
      this.repo.manager.connection,
      async (tx, emit) => {
        const config = toConfig(await tx.save(row), this.defaultModel());
        await emit('config.updated', 'admins', config);
        return config;
      },
    );
    await this.invalidation.announce();
    // Once every replica reads the new default quota: counters it left unwatched may be short.
    if (dto.default_user_quota !== undefined) await this.quotaLimits.allUsers();
    return updated;
  }

  onApplicationShutdown(): void {
    this.invalidation.close();
  }
}

function toConfig(row: AppConfigEntity | null, defaultModel: string): ConfigResponseDto {
  return {
    model: row?.model ?? defaultModel,
    temperature: row?.temperature ?? DEFAULT_TEMPERATURE,
    max_tokens: row?.maxTokens ?? DEFAULT_MAX_TOKENS,
    system_prompt: row?.systemPrompt ?? '',
    default_user_quota: normalizeQuota(row?.defaultUserQuota),
  };
}
