import { Injectable } from '@nestjs/common';

import type { Principal } from '../core/auth/principal';
import { AppException } from '../core/errors/app.exception';
import { ErrorCode } from '../core/errors/error-code';
import { Page, page } from '../core/http/list-query.dto';
import type {
  ListUsageRecordsQueryDto,
  UsageFilterQueryDto,
  UsageReportQueryDto,
} from './dto/usage-query.dto';
import type { UsageRecordDto, UsageReportDto, UsageTotalsDto } from './dto/usage-response.dto';
import type { UsageRecordEntity } from './entities/usage-record.entity';
import { UsageFilter, UsageRecordsRepository, UsageSums } from './usage-records.repository';

const DAY_MS = 86_400_000;
const DEFAULT_DAYS = 30;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/** A date-time without a zone is UTC (SPEC §13), whatever the server's own zone. */
function parseInstant(value: string): Date {
  const zoned = DATE_ONLY.test(value) || /(Z|[+-]\d{2}:?\d{2})$/.test(value) ? value : `${value}Z`;
  return new Date(zoned);
}

const utcMidnight = (at: Date) =>
  new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate()));

// Sums of floating-point costs: hide the last bits of noise, keep far below a millionth of a cent.
const roundCost = (usd: number | null) => (usd === null ? null : Math.round(usd * 1e10) / 1e10);

function toTotals(sums: UsageSums): UsageTotalsDto {
  return {
    requests: sums.requests,
    input_tokens: sums.inputTokens,
    output_tokens: sums.outputTokens,
    cost_usd: roundCost(sums.costUsd),
    unpriced_requests: sums.unpricedRequests,
  };
}

/** Usage reports and records (SPEC §13): a user's own; an admin's of anyone. */
@Injectable()
export class UsageService {
  constructor(private readonly records: UsageRecordsRepository) {}

  async report(actor: Principal, query: UsageReportQueryDto): Promise<UsageReportDto> {
    const filter = this.filter(actor, query, query.group_by === 'user');
    const { groups, totals } = await this.records.report(filter, query.group_by);
    return {
      data: groups.map((g) => ({ key: g.key, ...toTotals(g) })),
      totals: toTotals(totals),
      from: filter.from.toISOString(),
      to: filter.to.toISOString(),
      group_by: query.group_by,
    };
  }

  async list(actor: Principal, query: ListUsageRecordsQueryDto): Promise<Page<UsageRecordDto>> {
    const [rows, total] = await this.records.list(this.filter(actor, query, false), query);
    return page(
      rows.map((r) => this.toRecord(r)),
      total,
      query,
    );
  }

  /**
   * The caller's own records, unless an admin names a user or asks for everyone's. An admin's
   * `user_id` of a deleted or unknown user is not a 404: a deleted user's records are kept.
   */
  private filter(actor: Principal, query: UsageFilterQueryDto, everyone: boolean): UsageFilter {
    if (actor.role !== 'admin' && (query.user_id !== undefined || everyone)) {
      throw new AppException(
        ErrorCode.FORBIDDEN,
        "Only an admin may read another user's usage (user_id, group_by=user)",
      );
    }
    const { from, to } = this.window(query);
    return {
      userId: query.user_id ?? (everyone ? undefined : actor.userId),
      from,
      to,
      model: query.model,
      apiKeyId: query.api_key_id,
    };
  }

  /** Default: the last 30 UTC calendar days, today included, up to now. */
  private window(query: UsageFilterQueryDto): { from: Date; to: Date } {
    let to = query.to !== undefined ? parseInstant(query.to) : new Date();
    // A date as `to` includes that whole day.
    if (query.to !== undefined && DATE_ONLY.test(query.to)) to = new Date(to.getTime() + DAY_MS);
    const from =
      query.from !== undefined
        ? parseInstant(query.from)
        : new Date(
            utcMidnight(query.to !== undefined ? new Date(to.getTime() - 1) : to).getTime() -
              (DEFAULT_DAYS - 1) * DAY_MS,
          );
    // An empty window is a mistake (from=02-02&to=02-01 is one): say so rather than answer zeros.
    if (from.getTime() >= to.getTime()) {
      throw AppException.validation([{ field: 'from', message: 'from must be before to' }]);
    }
    return { from, to };
  }

  private toRecord(r: UsageRecordEntity): UsageRecordDto {
    return {
      id: r.id,
      user_id: r.userId,
      api_key_id: r.apiKeyId,
      model: r.model,
      provider: r.provider,
      endpoint: r.endpoint,
      status: r.status,
      input_tokens: r.inputTokens,
      output_tokens: r.outputTokens,
      cost_usd: r.costUsd,
      latency_ms: r.latencyMs,
      created_at: r.createdAt,
    };
  }
}
