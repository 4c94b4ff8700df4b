import type { RequestOptions } from '../core.js';
import type {
  Page,
  UsageRecord,
  UsageRecordListParams,
  UsageReport,
  UsageReportParams,
} from '../types.js';
import { Resource } from './resource.js';

/** Requests, tokens and cost: the caller's own; admins anyone's with `user_id` or `group_by: 'user'`. */
export class Usage extends Resource {
  /** Grouped by day (default), model, API key or user, with totals. */
  get(params: UsageReportParams = {}, options?: RequestOptions): Promise<UsageReport> {
    return this.transport.request({ method: 'GET', path: '/usage', query: { ...params }, options });
  }

  /** The usage records themselves, one per provider call, newest first by default. */
  listRecords(
    params: UsageRecordListParams = {},
    options?: RequestOptions,
  ): Promise<Page<UsageRecord>> {
    return this.transport.request({
      method: 'GET',
      path: '/usage/records',
      query: { ...params },
      options,
    });
  }
}
