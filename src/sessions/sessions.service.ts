import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

import { AppException } from '../core/errors/app.exception';
import { ErrorCode } from '../core/errors/error-code';
import { EventsService } from '../core/events/events.service';
import { ListQueryDto, Page, page } from '../core/http/list-query.dto';
import { ModelRegistry } from '../models/model-registry.service';
import type { CreateSessionDto } from './dto/create-session.dto';
import type { MessagePageRow } from './dto/message-response.dto';
import type { SessionResponseDto } from './dto/session-response.dto';
import type { UpdateSessionDto } from './dto/update-session.dto';
import { SessionEntity } from './entities/session.entity';
import { toSessionDto } from './sessions.mapper';
import { SessionsRepository } from './sessions.repository';

export const DEFAULT_SESSION_NAME = 'New session';

/** Sessions and their messages as the API shows them. Ids come through the routes' id pipe. */
@Injectable()
export class SessionsService {
  constructor(
    private readonly repo: SessionsRepository,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly models: ModelRegistry,
    private readonly events: EventsService,
  ) {}

  async create(userId: string, dto: CreateSessionDto): Promise<SessionResponseDto> {
    if (dto.model !== undefined) this.models.resolve(dto.model);
    return this.events.transaction(this.dataSource, async (tx, emit) => {
      const saved = toSessionDto(
        await this.repo.create(tx, {
          userId,
          name: dto.name ?? DEFAULT_SESSION_NAME,
          model: dto.model ?? null,
          lastSeq: 0,
          messageCount: 0,
        }),
      );
      await emit('session.created', { userId }, saved);
      return saved;
    });
  }

  async list(userId: string, query: ListQueryDto): Promise<Page<SessionResponseDto>> {
    const [rows, total] = await this.repo.findPage(userId, query);
    return page(rows.map(toSessionDto), total, query);
  }

  async get(userId: string, id: string): Promise<SessionResponseDto> {
    return toSessionDto(await this.findOwned(userId, id));
  }

  async update(userId: string, id: string, dto: UpdateSessionDto): Promise<SessionResponseDto> {
    const session = await this.findOwned(userId, id);
    if (dto.model !== undefined) this.models.resolve(dto.model);
    if (dto.name !== undefined) session.name = dto.name;
    if (dto.model !== undefined) session.model = dto.model;
    return toSessionDto(await this.repo.save(session));
  }

  async remove(userId: string, id: string): Promise<void> {
    const session = await this.findOwned(userId, id);
    await this.events.transaction(this.dataSource, async (tx, emit) => {
      if (!(await this.repo.deleteOwned(tx, userId, session.id)))
        throw new AppException(ErrorCode.SESSION_NOT_FOUND);
      await emit('session.deleted', { userId }, toSessionDto(session));
    });
  }

  async listMessages(
    userId: string,
    sessionId: string,
    query: ListQueryDto,
  ): Promise<Page<MessagePageRow>> {
    const { rows, total } = await this.repo.findMessagePage(userId, sessionId, query);
    return page(rows, total ?? (await this.findOwned(userId, sessionId)).messageCount, query);
  }

  async removeMessage(userId: string, id: string): Promise<void> {
    const owned = await this.repo.findOwnedMessage(userId, id);
    if (!owned) throw new AppException(ErrorCode.MESSAGE_NOT_FOUND);
    await this.events.transaction(this.dataSource, async (tx, emit) => {
      if (!(await this.repo.deleteMessage(tx, id, owned.session_id)))
        throw new AppException(ErrorCode.MESSAGE_NOT_FOUND);
      await emit('message.deleted', { userId }, { id, session_id: owned.session_id });
    });
  }

  private async findOwned(userId: string, id: string): Promise<SessionEntity> {
    const session = await this.repo.findOwned(userId, id);
    if (!session) throw new AppException(ErrorCode.SESSION_NOT_FOUND);
    return session;
  }
}
