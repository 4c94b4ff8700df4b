import { createHash, randomBytes } from 'node:crypto';

import { Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';

import { CachedCredential, CredentialCache } from '../core/auth/credential-cache.service';
import type { Principal } from '../core/auth/principal';
import { AppException } from '../core/errors/app.exception';
import { ErrorCode } from '../core/errors/error-code';
import { ListQueryDto, Page, page } from '../core/http/list-query.dto';
import type { ApiKeyResponseDto, CreatedApiKeyResponseDto } from './dto/api-key-response.dto';
import type { CreateApiKeyDto } from './dto/create-api-key.dto';
import { ApiKeyEntity } from './entities/api-key.entity';

const KEY_FORMAT = /^oc_[A-Za-z0-9_-]{32,128}$/;
const PREFIX_LENGTH = 12;
// last_used_at is a hint, not an audit log: writing it at most once a minute keeps requests read-only.
const LAST_USED_RESOLUTION_MS = 60_000;

function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

@Injectable()
export class ApiKeysService {
  private readonly logger = new Logger(ApiKeysService.name);

  constructor(
    @InjectRepository(ApiKeyEntity) private readonly keys: Repository<ApiKeyEntity>,
    private readonly cache: CredentialCache,
  ) {}

  async create(userId: string, dto: CreateApiKeyDto): Promise<CreatedApiKeyResponseDto> {
    const expiresAt = dto.expires_at ? new Date(dto.expires_at) : null;
    if (expiresAt && expiresAt.getTime() <= Date.now()) {
      throw AppException.validation([
        { field: 'expires_at', message: 'expires_at must be in the future' },
      ]);
    }
    const key = `oc_${randomBytes(32).toString('base64url')}`;
    const entity = await this.keys.save(
      this.keys.create({
        userId,
        name: dto.name,
        prefix: key.slice(0, PREFIX_LENGTH),
        keyHash: hashKey(key),
        createdAt: new Date(),
        expiresAt,
        lastUsedAt: null,
      }),
    );
    const { id, name, ...rest } = this.toResponse(entity);
    return { id, name, key, ...rest };
  }

  async list(userId: string, query: ListQueryDto): Promise<Page<ApiKeyResponseDto>> {
    const [rows, total] = await this.keys.findAndCount({
      where: { userId },
      order: { createdAt: query.order, id: query.order },
      take: query.limit,
      skip: query.offset,
    });
    return page(
      rows.map((r) => this.toResponse(r)),
      total,
      query,
    );
  }

  async revoke(userId: string, id: string): Promise<void> {
    const result = await this.keys.delete({ id, userId });
    if (!result.affected) throw new AppException(ErrorCode.API_KEY_NOT_FOUND);
    await this.cache.invalidate();
  }

  async authenticate(key: string): Promise<Principal> {
    if (!KEY_FORMAT.test(key)) throw new AppException(ErrorCode.INVALID_API_KEY);
    const hash = hashKey(key);
    const credential = await this.cache.resolve(`key:${hash}`, () => this.load(hash));
    this.touch(credential);
    return credential.principal;
  }

  private async load(hash: string): Promise<CachedCredential> {
    const found = await this.keys.findOne({
      where: { keyHash: hash },
      relations: { user: true },
    });
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
    this.keys
      .update({ id }, { lastUsedAt: new Date(now) })
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
    };
  }
}
