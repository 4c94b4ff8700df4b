import { Controller, Get, Query } from '@nestjs/common';

import { CurrentUser } from '../core/auth/current-user.decorator';
import type { Principal } from '../core/auth/principal';
import { ApiErrors } from '../core/errors/api-errors.decorator';
import { ListUsageRecordsQueryDto, UsageReportQueryDto } from './dto/usage-query.dto';
import type { UsageRecordListDto, UsageReportDto } from './dto/usage-response.dto';
import { UsageService } from './usage.service';

const FORBIDDEN = 'FORBIDDEN: `user_id` or `group_by=user` from a non-admin';

@Controller('usage')
export class UsageController {
  constructor(private readonly usage: UsageService) {}

  /**
   * Requests, tokens and cost grouped by day, model, API key or user, with totals. Your own usage;
   * admins may pass `user_id`, or `group_by=user` for every user's.
   */
  @Get()
  @ApiErrors({
    400: 'VALIDATION_ERROR: a bad date or `group_by`, or `from` after `to`',
    403: FORBIDDEN,
  })
  report(
    @CurrentUser() actor: Principal,
    @Query() query: UsageReportQueryDto,
  ): Promise<UsageReportDto> {
    return this.usage.report(actor, query);
  }

  /** The usage records themselves, one per provider call, newest first by default. */
  @Get('records')
  @ApiErrors({
    400: 'VALIDATION_ERROR: a bad date or paging value, or `from` after `to`',
    403: FORBIDDEN,
  })
  list(
    @CurrentUser() actor: Principal,
    @Query() query: ListUsageRecordsQueryDto,
  ): Promise<UsageRecordListDto> {
    return this.usage.list(actor, query);
  }
}
