import { ApiProperty, IntersectionType } from '@nestjs/swagger';
import { IsIn, IsISO8601, IsOptional, IsString, IsUUID, Length, Matches } from 'class-validator';

import { ListQueryDto } from '../../core/http/list-query.dto';
import type { UsageGroupBy } from '../usage-records.repository';

export const GROUP_BY: UsageGroupBy[] = ['day', 'model', 'api_key', 'user'];

// A calendar date, or a date-time with or without a zone (none: UTC). No week or ordinal dates.
const ISO_DATE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
const DATE_MESSAGE = (field: string) =>
  `${field} must be an ISO 8601 date (2026-01-31) or date-time (2026-01-31T12:00:00Z)`;

/** Which records: a UTC window, a model, a key and (admins only) a user. */
export class UsageFilterQueryDto {
  /** Start of the window, inclusive; a date means its UTC midnight. Default: 29 days before today. */
  @IsOptional()
  @Matches(ISO_DATE, { message: DATE_MESSAGE('from') })
  @IsISO8601({ strict: true }, { message: DATE_MESSAGE('from') })
  from?: string;

  /** End of the window: a date-time is exclusive, a date includes that whole UTC day. Default: now. */
  @IsOptional()
  @Matches(ISO_DATE, { message: DATE_MESSAGE('to') })
  @IsISO8601({ strict: true }, { message: DATE_MESSAGE('to') })
  to?: string;

  /** Admins only (anyone else: 403): this user's usage instead of their own. */
  @IsOptional()
  @IsUUID()
  user_id?: string;

  @IsOptional()
  @IsString()
  @Length(1, 100)
  model?: string;

  /** Only the calls made with this API key. */
  @IsOptional()
  @IsUUID()
  api_key_id?: string;
}

export class UsageReportQueryDto extends UsageFilterQueryDto {
  /** `user` (every user's usage, one group each) is for admins only. */
  @ApiProperty({ required: false, enum: GROUP_BY, default: 'day' })
  @IsOptional()
  @IsIn(GROUP_BY)
  group_by: UsageGroupBy = 'day';
}

export class ListUsageRecordsQueryDto extends IntersectionType(ListQueryDto, UsageFilterQueryDto) {}
