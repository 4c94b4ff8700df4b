import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';

import { normalizeQuota } from '../core/auth/user-quota.dto';
import { EventsService } from '../core/events/events.service';
import { ECHO_MODEL } from '../models/echo.provider';
import { ModelRegistry } from '../models/model-registry.service';
import type { ConfigResponseDto } from './dto/config-response.dto';
import type { UpdateConfigDto } from './dto/update-config.dto';
import { AppConfigEntity } from './entities/app-config.entity';

const ROW_ID = 1;
export const DEFAULT_TEMPERATURE = 0.7;
export const DEFAULT_MAX_TOKENS = 4096;
// Other replicas pick up a change within this time; chat reads the config on every turn.
const CACHE_MS = 500;

@Injectable()
export class AppConfigService {
  private cached?: { value: ConfigResponseDto; at: number };

  constructor(
    @InjectRepository(AppConfigEntity) private readonly repo: Repository<AppConfigEntity>,
    private readonly models: ModelRegistry,
    private readonly events: EventsService,
  ) {}

  /** Until an admin picks one: deepseek-chat when configured, else echo (SPEC §5). */
  defaultModel(): string {
    return this.models.isConfigured('deepseek-chat') ? 'deepseek-chat' : ECHO_MODEL;
  }

  async get(): Promise<ConfigResponseDto> {
    if (this.cached && Date.now() - this.cached.at < CACHE_MS) return this.cached.value;
    const row = await this.repo.findOneBy({ id: ROW_ID });
    return this.remember(row);
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
    return this.events.transaction(this.repo.manager.connection, async (tx, emit) => {
      const config = this.remember(await tx.save(row));
      await emit('config.updated', 'admins', config);
      return config;
    });
  }

  private remember(row: AppConfigEntity | null): ConfigResponseDto {
    const value = {
      model: row?.model ?? this.defaultModel(),
      temperature: row?.temperature ?? DEFAULT_TEMPERATURE,
      max_tokens: row?.maxTokens ?? DEFAULT_MAX_TOKENS,
      system_prompt: row?.systemPrompt ?? '',
      default_user_quota: normalizeQuota(row?.defaultUserQuota),
    };
    this.cached = { value, at: Date.now() };
    return value;
  }
}
