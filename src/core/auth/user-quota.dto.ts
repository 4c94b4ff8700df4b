import { ApiProperty } from '@nestjs/swagger';
import { IsInt, IsNumber, IsOptional, IsPositive, Max } from 'class-validator';

import type { UserQuota } from './user-quota';

const MAX_TOKENS = 1e15;

/**
 * A user's limits (SPEC §13), as the users and config routes take and show them: each a positive
 * number, or null (or left out) for no limit. Unknown fields are a 400.
 */
export class UserQuotaDto implements UserQuota {
  /** Input + output tokens per UTC calendar day. */
  @ApiProperty({ type: 'integer', minimum: 1, nullable: true, required: false, example: 200000 })
  @IsOptional()
  @IsInt()
  @IsPositive()
  @Max(MAX_TOKENS)
  tokens_per_day?: number | null;

  /** Input + output tokens per UTC calendar month. */
  @ApiProperty({ type: 'integer', minimum: 1, nullable: true, required: false, example: 5000000 })
  @IsOptional()
  @IsInt()
  @IsPositive()
  @Max(MAX_TOKENS)
  tokens_per_month?: number | null;

  /** USD per UTC calendar month, from the priced calls only. */
  @ApiProperty({ minimum: 0, exclusiveMinimum: true, nullable: true, required: false, example: 25 })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @IsPositive()
  @Max(1e12)
  cost_per_month_usd?: number | null;
}

/** A quota as it is stored and answered: every field present, null for no limit. */
export function normalizeQuota(quota: UserQuota | null | undefined): UserQuota | null {
  if (quota === null || quota === undefined) return null;
  return {
    tokens_per_day: quota.tokens_per_day ?? null,
    tokens_per_month: quota.tokens_per_month ?? null,
    cost_per_month_usd: quota.cost_per_month_usd ?? null,
  };
}
