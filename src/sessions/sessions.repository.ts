import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, EntityManager, Repository } from 'typeorm';

import { poolCommand, poolQuery, sqliteDate } from '../core/database/pool-query';
import { SqlParams } from '../core/database/sql-params';
import type { ListQueryDto } from '../core/http/list-query.dto';
import {
  NewUsageRecord,
  usageRecordBinds,
  usageRecordSql,
} from '../usage/usage-records.repository';
import type { MessagePageRow } from './dto/message-response.dto';
import { MessageEntity, MessageRole, MessageStatus } from './entities/message.entity';
import { SessionEntity } from './entities/session.entity';

/** The session a turn creates, or the one it continues. */
export type TurnSession =
  { id: string; isNew: true; name: string; model: string | null } | { id: string; isNew: false };

/** What a chat turn reads of its session. */
export type SessionRow = Pick<SessionEntity, 'id' | 'name' | 'model' | 'createdAt' | 'updatedAt'>;

/** A message of a turn before it has its place in the session. */
export type TurnMessage = Omit<MessageEntity, 'seq' | 'session'>;

interface MessageRow {
  id: string;
  session_id: string;
  role: MessageRole;
  content: string;
  model: string | null;
  tokens: number | string;
  status: MessageStatus;
  created_at: Date | string;
  total: number | string;
}

/** `findMessagePage`'s statement: `$` numbers PostgreSQL's parameters; SQLite's `?` are bound in order. */
function messagePageSql(marks: '$' | '?', order: 'ASC' | 'DESC'): string {
  const [id1, id2, id3, user, limit, offset] =
    marks === '$' ? ['$1', '$1', '$1', '$2', '$3', '$4'] : ['?', '?', '?', '?', '?', '?'];
  // What Date#toJSON prints; to_char's MS truncates as a Date does.
  const createdAt =
    marks === '$'
      ? `to_char(m.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`
      : 'm.created_at';
  return `SELECT m.id, m.session_id, m.role, m.content, m.model, m.tokens, m.status, ${createdAt} AS created_at,
      (SELECT t.message_count FROM sessions t WHERE t.id = ${id1}) AS total
    FROM messages m
    WHERE m.session_id = ${id2}
      AND EXISTS (SELECT 1 FROM sessions o WHERE o.id = ${id3} AND o.user_id = ${user})
    ORDER BY m.seq ${order} LIMIT ${limit} OFFSET ${offset}`;
}

/** Each variant written once: pg then finds the statement it prepared by identity, not by comparing texts. */
const MESSAGE_PAGE_SQL = {
  $: { ASC: messagePageSql('$', 'ASC'), DESC: messagePageSql('$', 'DESC') },
  '?': { ASC: messagePageSql('?', 'ASC'), DESC: messagePageSql('?', 'DESC') },
} as const;

/** Sessions and their messages: every statement, and which dialect gets which. */
@Injectable()
export class SessionsRepository {
  constructor(
    @InjectRepository(SessionEntity) private readonly sessions: Repository<SessionEntity>,
    @InjectRepository(MessageEntity) private readonly messages: Repository<MessageEntity>,
    @InjectDataSource() private readonly db: DataSource,
  ) {}

  /** PostgreSQL stores a whole turn in one statement (no BEGIN/COMMIT); SQLite needs a transaction. */
  get storesTurnAtOnce(): boolean {
    return this.db.options.type === 'postgres';
  }

  findOwned(userId: string, id: string): Promise<SessionEntity | null> {
    return this.sessions.findOneBy({ id, userId });
  }

  /** `findOwned` for a chat turn, on PostgreSQL a prepared statement read as a plain row. */
  async findOwnedForTurn(userId: string, id: string): Promise<SessionRow | null> {
    if (this.db.options.type !== 'postgres') return this.findOwned(userId, id);
    const rows = await poolQuery<SessionRow>(
      this.db,
      'session_owned',
      `SELECT id, name, model, created_at AS "createdAt", updated_at AS "updatedAt"
       FROM sessions WHERE id = $1 AND user_id = $2`,
      [id, userId],
    );
    return rows[0] ?? null;
  }

  findPage(userId: string, query: ListQueryDto): Promise<[SessionEntity[], number]> {
    return this.sessions.findAndCount({
      where: { userId },
      order: { createdAt: query.order, id: query.order },
      take: query.limit,
      skip: query.offset,
    });
  }

  create(tx: EntityManager, fields: Partial<SessionEntity>): Promise<SessionEntity> {
    return tx.save(this.sessions.create(fields));
  }

  save(session: SessionEntity): Promise<SessionEntity> {
    return this.sessions.save(session);
  }

  /** Deletes the session (its messages by cascade); false when it is not the user's. */
  async deleteOwned(tx: EntityManager, userId: string, id: string): Promise<boolean> {
    const deleted = await tx.delete(SessionEntity, { id, userId });
    return !!deleted.affected;
  }

  /**
   * A page of the session's messages and the session's message count, in one round trip: the owner
   * check is a one-time filter in front of the index scan on (session_id, seq), so a foreign session
   * reads no messages; the total comes from the session row, not a count. `total` is null when no
   * row came back: an empty session, an offset past the end, or not the caller's session.
   */
  async findMessagePage(
    userId: string,
    sessionId: string,
    query: ListQueryDto,
  ): Promise<{ rows: MessagePageRow[]; total: number | null }> {
    const order = query.order === 'asc' ? 'ASC' : 'DESC';
    // Hand-written and read as plain rows: the query builder and entity hydration cost several
    // times the statement itself on a page of 50.
    const raw =
      this.db.options.type === 'postgres'
        ? await poolQuery<MessageRow>(
            this.db,
            order === 'ASC' ? 'messages_page_ASC' : 'messages_page_DESC',
            MESSAGE_PAGE_SQL.$[order],
            [sessionId, userId, query.limit, query.offset],
          )
        : ((await this.db.query(MESSAGE_PAGE_SQL['?'][order], [
            sessionId,
            sessionId,
            sessionId,
            userId,
            query.limit,
            query.offset,
          ])) as MessageRow[]);
    const rows = raw.map((m) => ({
      id: m.id,
      session_id: m.session_id,
      role: m.role,
      content: m.content,
      model: m.model,
      tokens: Number(m.tokens),
      status: m.status,
      created_at:
        typeof m.created_at === 'string' && m.created_at.endsWith('Z')
          ? m.created_at
          : sqliteDate(m.created_at).toISOString(),
    }));
    return { rows, total: raw.length ? Number(raw[0].total) : null };
  }

  /** The message and its session, when the session is the user's. */
  findOwnedMessage(
    userId: string,
    id: string,
  ): Promise<{ id: string; session_id: string } | undefined> {
    return this.messages
      .createQueryBuilder('m')
      .innerJoin(SessionEntity, 's', 's.id = m.session_id')
      .select('m.id', 'id')
      .addSelect('m.session_id', 'session_id')
      .where('m.id = :id AND s.user_id = :userId', { id, userId })
      .getRawOne<{ id: string; session_id: string }>();
  }

  /** Deletes the message and uncounts it from its session; false when it was already gone. */
  async deleteMessage(tx: EntityManager, id: string, sessionId: string): Promise<boolean> {
    const deleted = await tx.delete(MessageEntity, { id });
    if (!deleted.affected) return false;
    await tx
      .createQueryBuilder()
      .update(SessionEntity)
      .set({ messageCount: () => 'message_count - 1' })
      .where('id = :id', { id: sessionId })
      .execute();
    return true;
  }

  /** The session's newest messages, newest first. */
  /**
   * Hand-written and read as plain rows: on a long session TypeORM's find and hydration of these
   * rows took 15 % of a turn's CPU (bench/results/2026-12-06.md, row 5).
   */
  latestMessages(
    sessionId: string,
    take: number,
  ): Promise<Pick<MessageEntity, 'role' | 'content'>[]> {
    return this.db.options.type === 'postgres'
      ? poolQuery(
          this.db,
          'messages_latest',
          'SELECT role, content FROM messages WHERE session_id = $1 ORDER BY seq DESC LIMIT $2',
          [sessionId, take],
        )
      : this.db.query(
          'SELECT role, content FROM messages WHERE session_id = ? ORDER BY seq DESC LIMIT ?',
          [sessionId, take],
        );
  }

  async insertSession(tx: EntityManager, session: Omit<SessionEntity, 'user'>): Promise<void> {
    await tx.insert(SessionEntity, session);
  }

  async insertMessages(tx: EntityManager, messages: MessageEntity[]): Promise<void> {
    await tx.insert(MessageEntity, messages);
  }

  /**
   * Bumps the session's counters by one turn (its row lock keeps concurrent turns apart) and
   * answers its new last sequence number; null when the session is gone.
   */
  async reserveSeqs(tx: EntityManager, sessionId: string, now: Date): Promise<number | null> {
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
      return row ? Number(row.last_seq) : null;
    }
    const bumped = await bump.execute();
    if (!bumped.affected) return null;
    const row = await tx.findOneOrFail(SessionEntity, {
      select: { id: true, lastSeq: true },
      where: { id: sessionId },
    });
    return row.lastSeq;
  }

  /**
   * PostgreSQL only (see `storesTurnAtOnce`): the session's insert (or its counters' bump) and both
   * messages in one statement, stored together or not at all; the messages take their sequence
   * numbers from the session row. False when the session was deleted meanwhile.
   */
  async insertTurnAtOnce(
    userId: string,
    session: TurnSession,
    messages: [TurnMessage, TurnMessage],
    now: Date,
    record: NewUsageRecord | null,
  ): Promise<boolean> {
    const { name, sql, values } = turnStatement(userId, session, messages, now, record);
    // The count of inserted messages, not RETURNING: rows to describe, parse and collect cost
    // ~2 % of a turn's CPU.
    return (await poolCommand(this.db, name, sql, values)) > 0;
  }
}

/** The statements' texts by name, each written once: see `turnStatement`. */
const turnTexts = new Map<string, string>();

/**
 * The one statement of `insertTurnAtOnce`; the turn's messages share its session, model and time.
 * Every value is bound before the text is written, in an order that only the statement's name
 * decides, so the text written for a name's first call serves all its calls: nothing is built per
 * turn, and pg finds the statement it prepared by identity instead of comparing the texts.
 */
export function turnStatement(
  userId: string,
  session: TurnSession,
  messages: [TurnMessage, TurnMessage],
  now: Date,
  record: NewUsageRecord | null = null,
): { name: string; sql: string; values: unknown[] } {
  const name = TURN_NAMES[session.isNew ? 1 : 0][record ? 1 : 0];
  const p = new SqlParams();
  const id = p.bind(session.id);
  const at = p.bind(now);
  const owner = session.isNew
    ? [p.bind(userId), p.bind(session.name), p.bind(session.model)]
    : undefined;
  const model = p.bind(messages[0].model);
  const rows = messages.map((m) => [
    p.bind(m.id),
    p.bind(m.role),
    p.bind(m.content),
    p.bind(m.tokens),
    p.bind(m.status),
  ]);
  const usage = record ? usageRecordBinds(record, p) : undefined;
  let sql = turnTexts.get(name);
  if (sql === undefined) {
    const sessionSql = owner
      ? `INSERT INTO sessions (id, user_id, name, model, last_seq, message_count, created_at, updated_at)
       VALUES (${id}, ${owner.join(', ')}, 2, 2, ${at}, ${at})
       RETURNING last_seq`
      : `UPDATE sessions SET last_seq = last_seq + 2, message_count = message_count + 2, updated_at = ${at}
       WHERE id = ${id} RETURNING last_seq`;
    // The last message takes the session's new last_seq, the one before it the number below.
    const values = rows.map(
      ([mid, role, content, tokens, status], i) =>
        `(${mid}::uuid, ${i - rows.length + 1}, ${role}::text, ${content}::text, ${tokens}::int, ${status}::text)`,
    );
    // The call's usage record is one more part of the statement (SPEC §13: written with the turn).
    const usageSql = usage ? `, u AS (${usageRecordSql(usage, 's')})` : '';
    sql = `WITH s AS (${sessionSql})${usageSql}
    INSERT INTO messages (id, session_id, seq, role, content, model, tokens, status, created_at)
    SELECT v.id, ${id}, s.last_seq + v.offset_by, v.role, v.content, ${model}, v.tokens, v.status, ${at}
      FROM s, (VALUES ${values.join(', ')}) AS v (id, offset_by, role, content, tokens, status)`;
    turnTexts.set(name, sql);
  }
  return { name, sql, values: p.values };
}

/** By new session, then by usage record: PostgreSQL prepares each variant once per connection. */
const TURN_NAMES = [
  ['turn_next', 'turn_next_usage'],
  ['turn_new', 'turn_new_usage'],
] as const;
