import { randomUUID } from 'node:crypto';

import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, EntityManager, Repository } from 'typeorm';

import type { CompletionOutcome } from '../completions/completion-gate';
import { AppException } from '../core/errors/app.exception';
import { ErrorCode } from '../core/errors/error-code';
import type { EventType } from '../core/events/event-catalogue';
import { EventsService } from '../core/events/events.service';
import { ListQueryDto, Page, page } from '../core/http/list-query.dto';
import { isUuid } from '../core/http/parse-id.pipe';
import { ModelRegistry } from '../models/model-registry.service';
import type { ChatMessage, TokenUsage } from '../models/provider.types';
import type {
  CreateSessionDto,
  MessageResponseDto,
  SessionResponseDto,
  UpdateSessionDto,
} from './dto/session.dto';
import { MessageEntity, MessageStatus } from './entities/message.entity';
import { SessionEntity } from './entities/session.entity';

// The newest messages are read first and stop at the character budget; this caps the read.
const HISTORY_ROWS = 200;
export const DEFAULT_SESSION_NAME = 'New session';

export interface TurnToStore {
  userId: string;
  /** An existing session, or a new one created with the turn. */
  session:
    { id: string; isNew: true; name: string; model: string | null } | { id: string; isNew: false };
  prompt: string;
  reply: string;
  model: string;
  usage: TokenUsage;
  status: MessageStatus;
  /** The provider call's outcome, for a usage record written in the turn's transaction. */
  outcome?: CompletionOutcome;
}

export interface StoredTurn {
  userMessageId: string;
  assistantMessageId: string;
}

@Injectable()
export class SessionsService {
  constructor(
    @InjectRepository(SessionEntity) private readonly sessions: Repository<SessionEntity>,
    @InjectRepository(MessageEntity) private readonly messages: Repository<MessageEntity>,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly models: ModelRegistry,
    private readonly events: EventsService,
  ) {}

  async create(userId: string, dto: CreateSessionDto): Promise<SessionResponseDto> {
    if (dto.model !== undefined) this.models.resolve(dto.model);
    const entity = this.sessions.create({
      userId,
      name: dto.name ?? DEFAULT_SESSION_NAME,
      model: dto.model ?? null,
      lastSeq: 0,
      messageCount: 0,
    });
    return this.events.transaction(this.dataSource, async (tx, emit) => {
      const saved = this.toSession(await tx.save(entity));
      await emit('session.created', { userId }, saved);
      return saved;
    });
  }

  async list(userId: string, query: ListQueryDto): Promise<Page<SessionResponseDto>> {
    const [rows, total] = await this.sessions.findAndCount({
      where: { userId },
      order: { createdAt: query.order, id: query.order },
      take: query.limit,
      skip: query.offset,
    });
    return page(
      rows.map((s) => this.toSession(s)),
      total,
      query,
    );
  }

  async get(userId: string, id: string): Promise<SessionResponseDto> {
    return this.toSession(await this.findOwned(userId, id));
  }

  async update(userId: string, id: string, dto: UpdateSessionDto): Promise<SessionResponseDto> {
    const session = await this.findOwned(userId, id);
    if (dto.model !== undefined) this.models.resolve(dto.model);
    if (dto.name !== undefined) session.name = dto.name;
    if (dto.model !== undefined) session.model = dto.model;
    return this.toSession(await this.sessions.save(session));
  }

  async remove(userId: string, id: string): Promise<void> {
    const session = await this.findOwned(userId, id);
    await this.events.transaction(this.dataSource, async (tx, emit) => {
      const deleted = await tx.delete(SessionEntity, { id: session.id, userId });
      if (!deleted.affected) throw new AppException(ErrorCode.SESSION_NOT_FOUND);
      await emit('session.deleted', { userId }, this.toSession(session));
    });
  }

  async listMessages(
    userId: string,
    sessionId: string,
    query: ListQueryDto,
  ): Promise<Page<MessageResponseDto>> {
    const id = this.checkId(sessionId);
    // One round trip: the owner check is a one-time filter in front of the index scan on
    // (session_id, seq), so a foreign session reads no messages; the total comes from the session
    // row, not a count. The session id is given literally so the planner sees its real size.
    const { entities, raw } = await this.messages
      .createQueryBuilder('m')
      .addSelect(
        (sub) => sub.select('t.message_count').from(SessionEntity, 't').where('t.id = :id'),
        'total',
      )
      .where('m.session_id = :id')
      .andWhere(
        (qb) =>
          `EXISTS ${qb
            .subQuery()
            .select('1')
            .from(SessionEntity, 'o')
            .where('o.id = :id AND o.user_id = :userId')
            .getQuery()}`,
      )
      .setParameters({ id, userId })
      .orderBy('m.seq', query.order === 'asc' ? 'ASC' : 'DESC')
      .limit(query.limit)
      .offset(query.offset)
      .getRawAndEntities<{ total: number }>();
    // No rows: an empty session, an offset past the end, or not the caller's session.
    const total = raw.length
      ? Number(raw[0].total)
      : (await this.findOwned(userId, id)).messageCount;
    return page(
      entities.map((m) => this.toMessage(m)),
      total,
      query,
    );
  }

  async removeMessage(userId: string, id: string): Promise<void> {
    const owned = await this.messages
      .createQueryBuilder('m')
      .innerJoin(SessionEntity, 's', 's.id = m.session_id')
      .select('m.id', 'id')
      .addSelect('m.session_id', 'session_id')
      .where('m.id = :id AND s.user_id = :userId', { id, userId })
      .getRawOne<{ id: string; session_id: string }>();
    if (!owned) throw new AppException(ErrorCode.MESSAGE_NOT_FOUND);
    await this.events.transaction(this.dataSource, async (tx, emit) => {
      const deleted = await tx.delete(MessageEntity, { id });
      if (!deleted.affected) throw new AppException(ErrorCode.MESSAGE_NOT_FOUND);
      await tx
        .createQueryBuilder()
        .update(SessionEntity)
        .set({ messageCount: () => 'message_count - 1' })
        .where('id = :id', { id: owned.session_id })
        .execute();
      await emit('message.deleted', { userId }, { id, session_id: owned.session_id });
    });
  }

  /** The caller's session, or 404 SESSION_NOT_FOUND for a malformed, unknown or foreign id. */
  async findOwned(userId: string, id: string): Promise<SessionEntity> {
    const session = await this.sessions.findOneBy({ id: this.checkId(id), userId });
    if (!session) throw new AppException(ErrorCode.SESSION_NOT_FOUND);
    return session;
  }

  /** The latest messages that fit in the budget, oldest first. */
  async history(sessionId: string, maxChars: number): Promise<ChatMessage[]> {
    if (maxChars <= 0) return [];
    const rows = await this.messages.find({
      select: { role: true, content: true },
      where: { sessionId },
      order: { seq: 'DESC' },
      take: HISTORY_ROWS,
    });
    const picked: ChatMessage[] = [];
    let used = 0;
    for (const row of rows) {
      used += row.content.length;
      if (used > maxChars) break;
      picked.push({ role: row.role, content: row.content });
    }
    return picked.reverse();
  }

  /**
   * Stores a finished turn in one transaction. The session row's counter hands out the two
   * sequence numbers under its row lock, so concurrent turns never interleave or collide; the
   * same update counts the two messages.
   */
  async storeTurn(turn: TurnToStore): Promise<StoredTurn> {
    const now = new Date();
    const userMessageId = randomUUID();
    const assistantMessageId = randomUUID();
    if (await this.storesAtOnce(turn)) {
      await this.storeTurnAtOnce(turn, now, userMessageId, assistantMessageId);
      return { userMessageId, assistantMessageId };
    }
    await this.events.transaction(this.dataSource, async (tx, emit) => {
      const audience = { userId: turn.userId };
      let last: number;
      if (turn.session.isNew) {
        await tx.insert(SessionEntity, {
          id: turn.session.id,
          userId: turn.userId,
          name: turn.session.name,
          model: turn.session.model,
          lastSeq: 2,
          messageCount: 2,
          createdAt: now,
          updatedAt: now,
        });
        last = 2;
        await emit('session.created', audience, {
          id: turn.session.id,
          name: turn.session.name,
          model: turn.session.model,
          created_at: now,
          updated_at: now,
        });
      } else {
        last = await this.reserveSeqs(tx, turn.session.id, now);
      }
      const stored: MessageEntity[] = [
        {
          id: userMessageId,
          sessionId: turn.session.id,
          seq: last - 1,
          role: 'user',
          content: turn.prompt,
          model: turn.model,
          tokens: turn.usage.input,
          status: 'complete',
          createdAt: now,
        },
        {
          id: assistantMessageId,
          sessionId: turn.session.id,
          seq: last,
          role: 'assistant',
          content: turn.reply,
          model: turn.model,
          tokens: turn.usage.output,
          status: turn.status,
          createdAt: now,
        },
      ];
      await tx.insert(MessageEntity, stored);
      for (const message of stored)
        await emit('message.created', audience, this.toMessage(message));
    });
    return { userMessageId, assistantMessageId };
  }

  /** On PostgreSQL, a turn no webhook listens to is one statement: one round trip, no BEGIN/COMMIT. */
  private async storesAtOnce(turn: TurnToStore): Promise<boolean> {
    if (this.dataSource.options.type !== 'postgres') return false;
    const emits: EventType[] = turn.session.isNew
      ? ['message.created', 'session.created']
      : ['message.created'];
    return !(await this.events.hasListeners(emits, { userId: turn.userId }));
  }

  /**
   * The session's insert (or its counters' bump) and both messages in one statement, so they are
   * stored together or not at all; the messages take their sequence numbers from the session row.
   */
  private async storeTurnAtOnce(
    turn: TurnToStore,
    now: Date,
    userMessageId: string,
    assistantMessageId: string,
  ): Promise<void> {
    const { session } = turn;
    const params: unknown[] = [
      session.id,
      now,
      turn.model,
      userMessageId,
      turn.prompt,
      turn.usage.input,
      assistantMessageId,
      turn.reply,
      turn.usage.output,
      turn.status,
    ];
    const sessionSql = session.isNew
      ? `INSERT INTO sessions (id, user_id, name, model, last_seq, message_count, created_at, updated_at)
         VALUES ($1, $11, $12, $13, 2, 2, $2, $2) RETURNING last_seq`
      : `UPDATE sessions SET last_seq = last_seq + 2, message_count = message_count + 2, updated_at = $2
         WHERE id = $1 RETURNING last_seq`;
    if (session.isNew) params.push(turn.userId, session.name, session.model);
    const rows = (await this.dataSource.query(
      `WITH s AS (${sessionSql})
       INSERT INTO messages (id, session_id, seq, role, content, model, tokens, status, created_at)
       SELECT v.id, $1, s.last_seq + v.offset_by, v.role, v.content, $3, v.tokens, v.status, $2
         FROM s, (VALUES ($4::uuid, -1, 'user', $5::text, $6::int, 'complete'),
                         ($7::uuid, 0, 'assistant', $8::text, $9::int, $10::text))
                 AS v (id, offset_by, role, content, tokens, status)
       RETURNING seq`,
      params,
    )) as unknown[];
    // The session was deleted while the reply was being written.
    if (rows.length === 0) throw new AppException(ErrorCode.SESSION_NOT_FOUND);
  }

  /** Bumps the session's counters by one turn and returns its new last sequence number. */
  private async reserveSeqs(tx: EntityManager, sessionId: string, now: Date): Promise<number> {
    const bump = tx
      .createQueryBuilder()
      .update(SessionEntity)
      .set({
        lastSeq: () => 'last_seq + 2',
        messageCount: () => 'message_count + 2',
        updatedAt: now,
      })
      .where('id = :id', { id: sessionId });
    // PostgreSQL answers with the new value in the same round trip; SQLite (through TypeORM) cannot.
    if (tx.connection.driver.isReturningSqlSupported('update')) {
      const { raw } = await bump.returning('last_seq').execute();
      const row = (raw as { last_seq: number }[])[0];
      if (!row) throw new AppException(ErrorCode.SESSION_NOT_FOUND);
      return Number(row.last_seq);
    }
    const bumped = await bump.execute();
    if (!bumped.affected) throw new AppException(ErrorCode.SESSION_NOT_FOUND);
    const row = await tx.findOneOrFail(SessionEntity, {
      select: { id: true, lastSeq: true },
      where: { id: sessionId },
    });
    return row.lastSeq;
  }

  private checkId(id: string): string {
    if (!isUuid(id)) throw new AppException(ErrorCode.SESSION_NOT_FOUND);
    return id.toLowerCase();
  }

  private toSession(s: SessionEntity): SessionResponseDto {
    return {
      id: s.id,
      name: s.name,
      model: s.model,
      created_at: s.createdAt,
      updated_at: s.updatedAt,
    };
  }

  private toMessage(m: MessageEntity): MessageResponseDto {
    return {
      id: m.id,
      session_id: m.sessionId,
      role: m.role,
      content: m.content,
      model: m.model,
      tokens: m.tokens,
      status: m.status,
      created_at: m.createdAt,
    };
  }
}
