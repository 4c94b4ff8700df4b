import { randomUUID } from 'node:crypto';

import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, SelectQueryBuilder } from 'typeorm';

import { poolQuery, sqliteDateText } from '../core/database/pool-query';
import type { SqlParams } from '../core/database/sql-params';
import type { SortOrder } from '../core/http/list-query.dto';
import { UsageRecordEntity, UsageStatus } from './entities/usage-record.entity';

/** A record as the completion path writes it (SPEC §13). */
export interface NewUsageRecord {
  userId: string;
  apiKeyId: string | null;
  model: string;
  provider: string;
  endpoint: string;
  status: UsageStatus;
  inputTokens: number;
  outputTokens: number;
  costUsd: number | null;
  latencyMs: number;
  createdAt?: Date;
}

export type UsageGroupBy = 'day' | 'model' | 'api_key' | 'user';

/** Which records a report or a list reads; `userId` undefined means every user's. */
export interface UsageFilter {
  userId?: string;
  from: Date;
  /** Exclusive. */
  to: Date;
  model?: string;
  apiKeyId?: string;
}

export interface UsageSums {
  requests: number;
  inputTokens: number;
  outputTokens: number;
  /** Null when no record of the group has a price. */
  costUsd: number | null;
  unpricedRequests: number;
}

export interface UsageGroup extends UsageSums {
  key: string | null;
}

export type UsageSubject = { userId: string } | { apiKeyId: string };

/** Raw SUMs come back as strings (PostgreSQL bigint) or numbers (SQLite). */
interface RawSums {
  requests: string | number | null;
  input_tokens: string | number | null;
  output_tokens: string | number | null;
  cost_usd: string | number | null;
  unpriced_requests: string | number | null;
}

const toSums = (raw: RawSums | undefined): UsageSums => ({
  requests: Number(raw?.requests ?? 0),
  inputTokens: Number(raw?.input_tokens ?? 0),
  outputTokens: Number(raw?.output_tokens ?? 0),
  costUsd: raw?.cost_usd === null || raw?.cost_usd === undefined ? null : Number(raw.cost_usd),
  unpricedRequests: Number(raw?.unpriced_requests ?? 0),
});

const COLUMN_LIST = [
  'id',
  'user_id',
  'api_key_id',
  'model',
  'provider',
  'endpoint',
  'status',
  'input_tokens',
  'output_tokens',
  'cost_usd',
  'latency_ms',
  'created_at',
] as const;
const COLUMNS = COLUMN_LIST.join(', ');
const PG_INSERT = `INSERT INTO usage_records (${COLUMNS})
  SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[],
    $7::text[], $8::int[], $9::int[], $10::double precision[], $11::int[], $12::timestamptz[])`;
/** Rows per statement: well inside both dialects' limits on bound values. */
const MAX_BATCH = 200;

type UsageRow = {
  id: string;
  user_id: string;
  api_key_id: string | null;
  model: string;
  provider: string;
  endpoint: string;
  status: UsageStatus;
  input_tokens: number;
  output_tokens: number;
  cost_usd: number | null;
  latency_ms: number;
  created_at: Date;
};

interface QueuedRow {
  row: UsageRow;
  resolve: (id: string) => void;
  reject: (err: unknown) => void;
}

function rowOf(record: NewUsageRecord): UsageRow {
  return {
    id: randomUUID(),
    user_id: record.userId,
    api_key_id: record.apiKeyId,
    model: record.model,
    provider: record.provider,
    endpoint: record.endpoint,
    status: record.status,
    input_tokens: record.inputTokens,
    output_tokens: record.outputTokens,
    cost_usd: record.costUsd,
    latency_ms: record.latencyMs,
    created_at: record.createdAt ?? new Date(),
  };
}

/** The usage records' SQL; the only place that knows how each dialect buckets a day. */
@Injectable()
export class UsageRecordsRepository {
  // Records waiting for the next group commit, and whether one is under way.
  private readonly queued: QueuedRow[] = [];
  private writing = false;

  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * Stores one record. With the manager of a running transaction it is written there, with the turn
   * it belongs to; without one it joins the records being written at this moment and resolves once
   * its row is committed (group commit: under load many calls share one statement, none waits for
   * more than the one already under way).
   */
  async insert(record: NewUsageRecord, manager?: EntityManager): Promise<string> {
    const row = rowOf(record);
    if (manager) {
      await this.write(manager, [row]);
      return row.id;
    }
    return new Promise<string>((resolve, reject) => {
      this.queued.push({ row, resolve, reject });
      if (!this.writing) {
        this.writing = true;
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    while (this.queued.length > 0) {
      const batch = this.queued.splice(0, MAX_BATCH);
      try {
        await this.write(
          this.db.manager,
          batch.map((q) => q.row),
        );
        for (const q of batch) q.resolve(q.row.id);
      } catch {
        // One bad row must not cost the others theirs: each alone, with its own outcome.
        await Promise.all(
          batch.map((q) =>
            this.write(this.db.manager, [q.row]).then(() => q.resolve(q.row.id), q.reject),
          ),
        );
      }
    }
    this.writing = false;
  }

  /** Hand-written SQL: written on every call that reaches a provider, at a fraction of the entity insert's CPU. */
  private async write(manager: EntityManager, rows: UsageRow[]): Promise<void> {
    if (manager.connection.options.type === 'postgres') {
      // Twelve arrays whatever the number of rows: one statement text, prepared once per connection.
      const values = COLUMN_LIST.map((c) => rows.map((r) => r[c]));
      if (manager === this.db.manager) {
        // Straight to the pool: TypeORM's query runner costs more CPU than the INSERT itself.
        await poolQuery(this.db, 'usage_records_insert', PG_INSERT, values);
      } else {
        await manager.query(PG_INSERT, values);
      }
      return;
    }
    const marks = `(${COLUMN_LIST.map(() => '?').join(', ')})`;
    const values = rows.flatMap((r) =>
      // SQLite keeps TypeORM's UTC text form, so its comparisons stay those of the entity's dates.
      COLUMN_LIST.map((c) => (c === 'created_at' ? sqliteDateText(r.created_at) : r[c])),
    );
    await manager.query(
      `INSERT INTO usage_records (${COLUMNS}) VALUES ${rows.map(() => marks).join(', ')}`,
      values,
    );
  }

  /** Tokens (input + output) and priced cost of a user's or a key's records since `since`. */
  async sumSince(
    subject: UsageSubject,
    since: Date,
  ): Promise<{ tokens: number; cost_usd: number }> {
    const qb = this.db
      .getRepository(UsageRecordEntity)
      .createQueryBuilder('r')
      .select('SUM(r.input_tokens + r.output_tokens)', 'tokens')
      .addSelect('SUM(r.cost_usd)', 'cost_usd')
      .where('r.created_at >= :since', { since });
    if ('userId' in subject) qb.andWhere('r.user_id = :userId', { userId: subject.userId });
    else qb.andWhere('r.api_key_id = :apiKeyId', { apiKeyId: subject.apiKeyId });
    const raw = await qb.getRawOne<{ tokens: unknown; cost_usd: unknown }>();
    return { tokens: Number(raw?.tokens ?? 0), cost_usd: Number(raw?.cost_usd ?? 0) };
  }

  /** SUMs per group, and over the whole filter. Days are UTC calendar days, `YYYY-MM-DD`. */
  async report(
    filter: UsageFilter,
    groupBy: UsageGroupBy,
  ): Promise<{ groups: UsageGroup[]; totals: UsageSums }> {
    const key = this.groupKey(groupBy);
    const rows = await this.sums(this.filtered(filter))
      .addSelect(key, 'key')
      .groupBy(key)
      .getRawMany<RawSums & { key: string | null }>();
    const groups = rows.map((raw) => ({ key: raw.key, ...toSums(raw) }));
    // Days in calendar order; anything else by tokens used, largest first.
    if (groupBy === 'day') groups.sort((a, b) => (a.key! < b.key! ? -1 : 1));
    else
      groups.sort(
        (a, b) =>
          b.inputTokens + b.outputTokens - (a.inputTokens + a.outputTokens) ||
          b.requests - a.requests ||
          String(a.key).localeCompare(String(b.key)),
      );
    const totals = toSums(await this.sums(this.filtered(filter)).getRawOne<RawSums>());
    return { groups, totals };
  }

  /** A page of the records themselves, by creation time. */
  list(
    filter: UsageFilter,
    paging: { limit: number; offset: number; order: SortOrder },
  ): Promise<[UsageRecordEntity[], number]> {
    const order = paging.order === 'asc' ? 'ASC' : 'DESC';
    return this.filtered(filter)
      .orderBy('r.created_at', order)
      .addOrderBy('r.id', order)
      .take(paging.limit)
      .skip(paging.offset)
      .getManyAndCount();
  }

  private filtered(filter: UsageFilter): SelectQueryBuilder<UsageRecordEntity> {
    const qb = this.db
      .getRepository(UsageRecordEntity)
      .createQueryBuilder('r')
      .where('r.created_at >= :from AND r.created_at < :to', { from: filter.from, to: filter.to });
    if (filter.userId !== undefined) qb.andWhere('r.user_id = :userId', { userId: filter.userId });
    if (filter.model !== undefined) qb.andWhere('r.model = :model', { model: filter.model });
    if (filter.apiKeyId !== undefined)
      qb.andWhere('r.api_key_id = :apiKeyId', { apiKeyId: filter.apiKeyId });
    return qb;
  }

  private sums(qb: SelectQueryBuilder<UsageRecordEntity>): SelectQueryBuilder<UsageRecordEntity> {
    return qb
      .select('COUNT(*)', 'requests')
      .addSelect('SUM(r.input_tokens)', 'input_tokens')
      .addSelect('SUM(r.output_tokens)', 'output_tokens')
      .addSelect('SUM(r.cost_usd)', 'cost_usd')
      .addSelect('SUM(CASE WHEN r.cost_usd IS NULL THEN 1 ELSE 0 END)', 'unpriced_requests');
  }

  private groupKey(groupBy: UsageGroupBy): string {
    switch (groupBy) {
      case 'day':
        // SQLite stores UTC 'YYYY-MM-DD HH:MM:SS.SSS' text; PostgreSQL a timestamptz.
        return this.db.options.type === 'postgres'
          ? `to_char(r.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')`
          : 'substr(r.created_at, 1, 10)';
      case 'model':
        return 'r.model';
      case 'api_key':
        return 'r.api_key_id';
      case 'user':
        return 'r.user_id';
    }
  }
}

/**
 * A record's INSERT as one part of another PostgreSQL statement (a chat turn's): its values bound
 * through `p`, and the row written only when `onlyWith`, a CTE of that statement, has one, so the
 * record is stored together with the turn or not at all.
 */
/**
 * A usage record's values bound in `p`, for `usageRecordSql`: the turn's statement writes its record
 * with it (SPEC §13: written with the turn).
 */
export function usageRecordBinds(record: NewUsageRecord, p: SqlParams): string[] {
  return [
    p.bind(randomUUID()),
    p.bind(record.userId),
    p.bind(record.apiKeyId),
    p.bind(record.model),
    p.bind(record.provider),
    p.bind(record.endpoint),
    p.bind(record.status),
    p.bind(record.inputTokens),
    p.bind(record.outputTokens),
    p.bind(record.costUsd),
    p.bind(record.latencyMs),
    p.bind(record.createdAt ?? new Date()),
  ];
}

/** The INSERT of a record whose values `usageRecordBinds` bound, run only with a row of `onlyWith`. */
export function usageRecordSql(placeholders: string[], onlyWith: string): string {
  const [id, user, key, model, provider, endpoint, status, input, output, cost, latency, at] =
    placeholders;
  return `INSERT INTO usage_records (id, user_id, api_key_id, model, provider, endpoint, status,
      input_tokens, output_tokens, cost_usd, latency_ms, created_at)
    SELECT ${id}::uuid, ${user}::uuid, ${key}::uuid, ${model}::text, ${provider}::text,
      ${endpoint}::text, ${status}::text, ${input}::int, ${output}::int,
      ${cost}::double precision, ${latency}::int, ${at}::timestamptz
    FROM ${onlyWith}`;
}
