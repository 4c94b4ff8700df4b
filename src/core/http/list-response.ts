import type { Type } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';

import type { Page } from './list-query.dto';

/**
 * The `{data, total, limit, offset}` answer of a list endpoint as a class, so the OpenAPI document
 * names the item schema: generics do not survive to runtime. Use as the base of a concrete class,
 * `class SessionListDto extends ListResponse(SessionResponseDto) {}`.
 */
export function ListResponse<T>(item: Type<T>): Type<Page<T>> {
  class ListResponseDto implements Page<T> {
    @ApiProperty({ type: item, isArray: true })
    data: T[];

    @ApiProperty({
      type: 'integer',
      minimum: 0,
      description: 'All matching items, not only this page',
    })
    total: number;

    @ApiProperty({ type: 'integer', minimum: 1, maximum: 100, example: 50 })
    limit: number;

    @ApiProperty({ type: 'integer', minimum: 0, example: 0 })
    offset: number;
  }
  return ListResponseDto;
}
