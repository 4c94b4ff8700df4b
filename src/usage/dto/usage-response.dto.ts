import { ApiProperty } from '@nestjs/swagger';

import { ListResponse } from '../../core/http/list-response';
import type { UsageStatus } from '../entities/usage-record.entity';
import type { UsageGroupBy } from '../usage-records.repository';
import { GROUP_BY } from './usage-query.dto';

export class UsageTotalsDto {
  @ApiProperty({ type: 'integer', minimum: 0, example: 42 })
  requests: number;

  @ApiProperty({ type: 'integer', minimum: 0, example: 18250 })
  input_tokens: number;

  @ApiProperty({ type: 'integer', minimum: 0, example: 9120 })
  output_tokens: number;

  /** USD of the priced calls; null when none of them had a price (never a guessed 0). */
  @ApiProperty({ type: 'number', nullable: true, example: 0.1368 })
  cost_usd: number | null;

  /** Calls of a model without a price: not part of `cost_usd`. */
  @ApiProperty({ type: 'integer', minimum: 0, example: 2 })
  unpriced_requests: number;
}

export class UsageGroupDto extends UsageTotalsDto {
  /**
   * The day (`YYYY-MM-DD`, UTC), the model, the API key id (null: calls made with a JWT) or the
   * user id, by `group_by`.
   */
  @ApiProperty({ type: 'string', nullable: true, example: '2026-01-31' })
  key: string | null;
}

export class UsageReportDto {
  /** Days in calendar order; other groups by tokens used, largest first. Empty groups are left out. */
  @ApiProperty({ type: UsageGroupDto, isArray: true })
  data: UsageGroupDto[];

  totals: UsageTotalsDto;

  /** The window read, inclusive. */
  @ApiProperty({ example: '2026-01-02T00:00:00.000Z' })
  from: string;

  /** The end of the window, exclusive. */
  @ApiProperty({ example: '2026-01-31T15:04:05.000Z' })
  to: string;

  @ApiProperty({ enum: GROUP_BY, example: 'day' })
  group_by: UsageGroupBy;
}

/** One provider call (SPEC §13); never any message content. */
export class UsageRecordDto {
  id: string;
  user_id: string;
  /** Null for a call made with a JWT. */
  @ApiProperty({ type: 'string', format: 'uuid', nullable: true })
  api_key_id: string | null;
  @ApiProperty({ example: 'gpt-4o-mini' })
  model: string;
  @ApiProperty({ example: 'openai' })
  provider: string;
  @ApiProperty({
    enum: ['/api/v1/chat', '/api/v1/chat/stream', '/v1/chat/completions'],
    example: '/api/v1/chat',
  })
  endpoint: string;
  @ApiProperty({ enum: ['complete', 'incomplete', 'failed'], example: 'complete' })
  status: UsageStatus;
  @ApiProperty({ type: 'integer', minimum: 0, example: 120 })
  input_tokens: number;
  @ApiProperty({ type: 'integer', minimum: 0, example: 48 })
  output_tokens: number;
  /** USD; null when the model has no price. */
  @ApiProperty({ type: 'number', nullable: true, example: 0.0000468 })
  cost_usd: number | null;
  @ApiProperty({ type: 'integer', minimum: 0, example: 812 })
  latency_ms: number;
  created_at: Date;
}

export class UsageRecordListDto extends ListResponse(UsageRecordDto) {}
