import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';

import { CredentialCache } from '../core/auth/credential-cache.service';
import type { Principal } from '../core/auth/principal';
import { QUOTA_LIMIT_CHANGES, QuotaLimitChanges } from '../core/auth/user-quota';
import { normalizeQuota } from '../core/auth/user-quota.dto';
import { isUniqueViolation } from '../core/database/unique-violation';
import { EnvService } from '../core/env/env.service';
import { AppException } from '../core/errors/app.exception';
import { ErrorCode } from '../core/errors/error-code';
import type { AccessField } from '../core/events/event-catalogue';
import { EventsService } from '../core/events/events.service';
import { ListQueryDto, Page, page } from '../core/http/list-query.dto';
import { AttemptLimiter } from '../core/redis/attempt-limiter';
import { RedisService } from '../core/redis/redis.service';
import { hashPassword, verifyPassword } from '../core/security/password';
import type { CreateUserDto } from './dto/create-user.dto';
import type { UpdateUserDto } from './dto/update-user.dto';
import type { UserResponseDto } from './dto/user-response.dto';
import { UserEntity } from './entities/user.entity';
import type { UserAccount, UserLogin } from './user-account';
import { UsersRepository } from './users.repository';

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

function toAccount(user: UserEntity): UserAccount {
  const { id, email, role, disabled, tokenVersion, quota } = user;
  return { id, email, role, disabled, tokenVersion, quota };
}

/** A password or e-mail change, a role change or a disable revokes every JWT issued before it. */
function revokesTokens(user: UserEntity, dto: UpdateUserDto): boolean {
  return (
    dto.password !== undefined ||
    (dto.email !== undefined && normalizeEmail(dto.email) !== user.email) ||
    (dto.role !== undefined && dto.role !== user.role) ||
    (dto.disabled === true && !user.disabled)
  );
}

const EMAIL_TAKEN = 'A user with this email already exists';
const LAST_ADMIN = 'This would leave no active admin: make another user an active admin first';

@Injectable()
export class UsersService {
  // Guessing current_password with a stolen key is held to the login limit, per user.
  private readonly passwordChecks: AttemptLimiter;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly repo: UsersRepository,
    private readonly events: EventsService,
    private readonly credentials: CredentialCache,
    @Inject(QUOTA_LIMIT_CHANGES) private readonly quotaLimits: QuotaLimitChanges,
    env: EnvService,
    redis: RedisService,
  ) {
    this.passwordChecks = new AttemptLimiter(
      redis,
      env.get('RATE_LIMIT_LOGIN_PER_MINUTE'),
      'Too many wrong current_password attempts; try again later',
    );
  }

  async findById(id: string): Promise<UserAccount | null> {
    const user = await this.repo.findById(id);
    return user && toAccount(user);
  }

  async findByEmail(email: string): Promise<UserLogin | null> {
    const user = await this.repo.findByEmail(normalizeEmail(email));
    return user && { passwordHash: user.passwordHash, ...toAccount(user) };
  }

  async create(dto: CreateUserDto): Promise<UserResponseDto> {
    const entity: Partial<UserEntity> = {
      email: normalizeEmail(dto.email),
      name: dto.name ?? null,
      passwordHash: await hashPassword(dto.password),
      role: dto.role ?? 'user',
      disabled: false,
      quota: normalizeQuota(dto.quota),
    };
    try {
      return await this.events.transaction(this.dataSource, async (tx, emit) => {
        const created = this.toResponse(await this.repo.insert(entity, tx));
        await emit('user.created', 'admins', created);
        return created;
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new AppException(ErrorCode.CONFLICT, EMAIL_TAKEN);
      throw err;
    }
  }

  async list(query: ListQueryDto): Promise<Page<UserResponseDto>> {
    const [rows, total] = await this.repo.findPage(query);
    return page(
      rows.map((u) => this.toResponse(u)),
      total,
      query,
    );
  }

  /** Admins see anyone; a user sees only themself, and anyone else is a 404. */
  async get(actor: Principal, id: string): Promise<UserResponseDto> {
    return this.toResponse(await this.findVisible(actor, id));
  }

  async update(actor: Principal, id: string, dto: UpdateUserDto): Promise<UserResponseDto> {
    const isAdmin = actor.role === 'admin';
    const current = await this.findVisible(actor, id);
    if (
      !isAdmin &&
      (dto.role !== undefined || dto.disabled !== undefined || dto.quota !== undefined)
    ) {
      throw new AppException(
        ErrorCode.FORBIDDEN,
        'Only an admin may change role, disabled or quota',
      );
    }
    if (actor.userId === id) await this.assertCurrentPassword(current, dto);
    const passwordHash = dto.password !== undefined ? await hashPassword(dto.password) : undefined;
    try {
      const mayDropAdmin =
        (dto.role !== undefined && dto.role !== 'admin') || dto.disabled === true;
      let revokedTo: number | undefined;
      const result = await this.events.transaction(this.dataSource, async (tx, emit) => {
        const admins = mayDropAdmin ? await this.repo.findActiveAdminsForUpdate(tx) : [];
        const user = await this.lockUser(tx, id);
        if (mayDropAdmin && user.role === 'admin' && !user.disabled) {
          this.assertAnotherActiveAdmin(admins, id);
        }
        if (revokesTokens(user, dto)) revokedTo = ++user.tokenVersion;
        if (dto.name !== undefined) user.name = dto.name;
        if (dto.email !== undefined) user.email = normalizeEmail(dto.email);
        if (passwordHash !== undefined) user.passwordHash = passwordHash;
        // Whose webhooks hear admin events, and whose hear nothing at all, follow these two.
        const changed: AccessField[] = [];
        if (dto.role !== undefined && dto.role !== user.role) changed.push('role');
        if (dto.disabled !== undefined && dto.disabled !== user.disabled) changed.push('disabled');
        if (dto.role !== undefined) user.role = dto.role;
        if (dto.disabled !== undefined) user.disabled = dto.disabled;
        if (dto.quota !== undefined) user.quota = normalizeQuota(dto.quota);
        const updated = this.toResponse(await this.repo.update(tx, user));
        await emit('user.updated', 'admins', updated, changed);
        return updated;
      });
      // Role, e-mail, disabled, quota and the token version travel with cached credentials.
      if (revokedTo !== undefined) await this.credentials.recordTokenVersion(id, revokedTo);
      await this.credentials.invalidate();
      if (dto.quota !== undefined) await this.quotaLimits.user(id);
      return result;
    } catch (err) {
      if (isUniqueViolation(err)) throw new AppException(ErrorCode.CONFLICT, EMAIL_TAKEN);
      throw err;
    }
  }

  /** Removes the user; their keys (and later sessions and webhooks) go with them by cascade. */
  async remove(id: string): Promise<void> {
    await this.events.transaction(this.dataSource, async (tx, emit) => {
      const admins = await this.repo.findActiveAdminsForUpdate(tx);
      const user = await this.lockUser(tx, id);
      if (user.role === 'admin' && !user.disabled) this.assertAnotherActiveAdmin(admins, id);
      await this.repo.delete(tx, id);
      await emit('user.deleted', 'admins', { id });
    });
    await this.credentials.invalidate();
  }

  async countAdmins(): Promise<number> {
    return this.repo.countAdmins();
  }

  /** Creates a user with a ready hash; a taken e-mail yields null instead of an error. */
  async insertIfAbsent(entity: Partial<UserEntity>): Promise<UserEntity | null> {
    try {
      return await this.repo.insert(entity);
    } catch (err) {
      if (isUniqueViolation(err)) return null;
      throw err;
    }
  }

  /**
   * A stolen API key or JWT must not be enough to take the account over: changing one's own e-mail
   * or password needs the current password (missing → 400, wrong → 403).
   */
  private async assertCurrentPassword(user: UserEntity, dto: UpdateUserDto): Promise<void> {
    const emailChanges = dto.email !== undefined && normalizeEmail(dto.email) !== user.email;
    const needed = emailChanges || dto.password !== undefined;
    if (dto.current_password === undefined) {
      if (!needed) return;
      throw AppException.validation([
        {
          field: 'current_password',
          message: 'current_password is required to change your own email or password',
        },
      ]);
    }
    const bucket = [`password-check:user:${user.id}`];
    await this.passwordChecks.attempt(bucket);
    if (!(await verifyPassword(user.passwordHash, dto.current_password))) {
      throw new AppException(ErrorCode.FORBIDDEN, 'current_password is wrong');
    }
    await this.passwordChecks.refund(bucket);
  }

  private async findVisible(actor: Principal, id: string): Promise<UserEntity> {
    if (actor.role !== 'admin' && actor.userId !== id)
      throw new AppException(ErrorCode.USER_NOT_FOUND);
    const user = await this.repo.findById(id);
    if (!user) throw new AppException(ErrorCode.USER_NOT_FOUND);
    return user;
  }

  private async lockUser(tx: EntityManager, id: string): Promise<UserEntity> {
    const user = await this.repo.findForUpdate(tx, id);
    if (!user) throw new AppException(ErrorCode.USER_NOT_FOUND);
    return user;
  }

  private assertAnotherActiveAdmin(admins: Pick<UserEntity, 'id'>[], exceptId: string): void {
    if (!admins.some((a) => a.id !== exceptId))
      throw new AppException(ErrorCode.CONFLICT, LAST_ADMIN);
  }

  toResponse(user: UserEntity): UserResponseDto {
    return {
      id: user.id,
      email: user.email,
      name: user.name,
      role: user.role,
      disabled: user.disabled,
      quota: normalizeQuota(user.quota),
      created_at: user.createdAt,
      updated_at: user.updatedAt,
    };
  }
}
