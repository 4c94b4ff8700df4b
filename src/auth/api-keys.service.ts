import { createHash, randomBytes } from 'node:crypto';

import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';

import { CachedCredential, CredentialCache } from '../core/auth/credential-cache.service';
import type { CredentialResolver } from '../core/auth/credential-resolver';
import type { Principal } from '../core/auth/principal';
import { inTransaction } from '../core/database/transaction';
import { EnvService } from '../core/env/env.service';
import { AppException } from '../core/errors/app.exception';
import { ErrorCode } from '../core/errors/error-code';
import { Page, page } from '../core/http/list-query.dto';
import { ModelRegistry } from '../models/model-registry.service';
import { ApiKeysRepository } from './api-keys.repository';
import type { ApiKeyResponseDto, CreatedApiKeyResponseDto } from './dto/api-key-response.dto';
import type { CreateApiKeyDto } from './dto/create-api-key.dto';
import type { ListApiKeysQueryDto } from './dto/list-api-keys-query.dto';
import { ApiKeyEntity } from './entities/api-key.entity';

const KEY_FORMAT = /^oc_[A-Za-z0-9_-]{32,128}$/;
const PREFIX_LENGTH = 12;
// last_used_at is a hint, not an audit log: writing it at most once a minute keeps requests read-only.
const LAST_USED_RESOLUTION_MS = 60_000;

function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

@Injectable()
export class ApiKeysService implements CredentialResolver {
  private readonly logger = new Logger(ApiKeysService.name);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly cache: CredentialCache,
    private readonly env: EnvService,
    private readonly repo: ApiKeysRepository,
    private readonly registry: ModelRegistry,
  ) {}

  async create(userId: string, dto: CreateApiKeyDto): Promise<CreatedApiKeyResponseDto> {
    const expiresAt = dto.expires_at ? new Date(dto.expires_at) : null;
    if (expiresAt && expiresAt.getTime() <= Date.now()) {
      throw AppException.validation([
        { field: 'expires_at', message: 'expires_at must be in the future' },
      ]);
    }
    const userLimit = this.env.get('RATE_LIMIT_PER_MINUTE');
    if (dto.rate_limit_per_minute && dto.rate_limit_per_minute > userLimit) {
      throw AppException.validation([
        {
          field: 'rate_limit_per_minute',
          message: `rate_limit_per_minute must not exceed the user's limit of ${userLimit}`,
        },
      ]);
    }
    const unknown = (dto.models ?? []).filter((m) => !this.registry.isConfigured(m));
    if (unknown.length > 0) {
      throw AppException.validation([
        {
          field: 'models',
          message: `models must be models of GET /api/v1/models; unknown: ${unknown.join(', ')}`,
        },
      ]);
    }
    const key = `oc_${randomBytes(32).toString('base64url')}`;
    const entity = await inTransaction(this.db, async (tx) => {
      await this.assertBelowCap(tx, userId);
      return this.repo.insert(tx, {
        userId,
        name: dto.name,
        prefix: key.slice(0, PREFIX_LENGTH),
        keyHash: hashKey(key),
        createdAt: new Date(),
        expiresAt,
        lastUsedAt: null,
        rateLimitPerMinute: dto.rate_limit_per_minute ?? null,
        models: dto.models ?? null,
        tokensPerDay: dto.tokens_per_day ?? null,
      });
    });
    const { id, name, ...rest } = this.toResponse(entity);
    return { id, name, key, ...rest };
  }

  /** Own keys; an admin may name another user with `user_id`, anyone else gets 403. */
  async list(actor: Principal, query: ListApiKeysQueryDto): Promise<Page<ApiKeyResponseDto>> {
    let userId = actor.userId;
    if (query.user_id !== undefined) {
      if (actor.role !== 'admin') {
        throw new AppException(ErrorCode.FORBIDDEN, "Only an admin may list another user's keys");
      }
      if (!(await this.repo.userExists(query.user_id))) {
        throw new AppException(ErrorCode.USER_NOT_FOUND);
      }
      userId = query.user_id;
    }
    const [rows, total] = await this.repo.findPage(userId, query);
    return page(
      rows.map((r) => this.toResponse(r)),
      total,
      query,
    );
  }

  /** Own keys; an admin may revoke anyone's. */
  async revoke(actor: Principal, id: string): Promise<void> {
    const where = actor.role === 'admin' ? { id } : { id, userId: actor.userId };
    if (!(await this.repo.delete(where))) throw new AppException(ErrorCode.API_KEY_NOT_FOUND);
    await this.cache.invalidate();
  }

  /**
   * MAX_API_KEYS_PER_USER active (unexpired) keys at most. The user's row is locked first, so two
   * creations at once cannot both pass the count (SQLite runs transactions one at a time).
   */
  private async assertBelowCap(tx: EntityManager, userId: string): Promise<void> {
    const max = this.env.get('MAX_API_KEYS_PER_USER');
    const active = await this.repo.countActiveForUpdate(tx, userId, new Date());
    if (active >= max) {
      throw new AppException(
        ErrorCode.CONFLICT,
        `At most ${max} active API keys per user: revoke one first`,
      );
    }
  }

  async authenticate(key: string): Promise<Principal> {
    if (!KEY_FORMAT.test(key)) throw new AppException(ErrorCode.INVALID_API_KEY);
    const hash = hashKey(key);
    const credential = await this.cache.resolve(`key:${hash}`, () => this.load(hash));
    this.touch(credential);
    return credential.principal;
  }

  private async load(hash: string): Promise<CachedCredential> {
    const found = await this.repo.findByHash(hash);
    if (!found?.user || (found.expiresAt && found.expiresAt.getTime() <= Date.now())) {
      throw new AppException(ErrorCode.INVALID_API_KEY);
    }
    if (found.user.disabled)
      throw new AppException(ErrorCode.FORBIDDEN, 'This account is disabled');
    return {
      principal: {
        userId: found.user.id,
        email: found.user.email,
        role: found.user.role,
        via: 'api_key',
        apiKeyId: found.id,
        keyRateLimitPerMinute: found.rateLimitPerMinute,
        quota: found.user.quota,
        keyModels: found.models,
        keyTokensPerDay: found.tokensPerDay,
      },
      expiresAt: found.expiresAt?.getTime() ?? null,
      lastUsedAt: found.lastUsedAt?.getTime() ?? null,
    };
  }

  private touch(credential: CachedCredential): void {
    const now = Date.now();
    if (credential.lastUsedAt && now - credential.lastUsedAt < LAST_USED_RESOLUTION_MS) return;
    credential.lastUsedAt = now;
    const id = credential.principal.apiKeyId!;
    this.repo
      .touch(id, new Date(now))
      .catch((err: Error) => this.logger.warn(`Could not record use of key ${id}: ${err.message}`));
  }

  private toResponse(entity: ApiKeyEntity): ApiKeyResponseDto {
    return {
      id: entity.id,
      name: entity.name,
      prefix: entity.prefix,
      created_at: entity.createdAt,
      expires_at: entity.expiresAt,
      last_used_at: entity.lastUsedAt,
      rate_limit_per_minute: entity.rateLimitPerMinute,
      models: entity.models,
      tokens_per_day: entity.tokensPerDay,
    };
  }
}
