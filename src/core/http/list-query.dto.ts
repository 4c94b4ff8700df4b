import { ApiProperty } from '@nestjs/swagger';
import { Transform, TransformFnParams } from 'class-transformer';
import { IsIn, IsInt, IsOptional, Max, Min } from 'class-validator';

// Larger offsets overflow the databases' integer types and could never match a row anyway.
const MAX_OFFSET = 2_147_483_647;

export type SortOrder = 'asc' | 'desc';

const DECIMAL = /^-?\d{1,16}$/;

/**
 * Only decimal digits (and a minus, so that -1 hears it is below the minimum) read as a number:
 * `0x10`, `1e1`, `+5`, ` 5` or an empty value stay text and fail @IsInt, where Number() would have
 * taken them for 16, 10 and 5 (and 0).
 */
const decimal = ({ value }: TransformFnParams): unknown =>
  typeof value === 'string' && DECIMAL.test(value) ? Number(value) : value;

/** `?limit&offset&order` of every list endpoint; out-of-range values are a 400, never clamped. */
export class ListQueryDto {
  @ApiProperty({ required: false, type: 'integer', minimum: 1, maximum: 100, default: 50 })
  @IsOptional()
  @Transform(decimal)
  @IsInt()
  @Min(1)
  @Max(100)
  limit: number = 50;

  @ApiProperty({ required: false, type: 'integer', minimum: 0, default: 0 })
  @IsOptional()
  @Transform(decimal)
  @IsInt()
  @Min(0)
  @Max(MAX_OFFSET)
  offset: number = 0;

  @ApiProperty({ required: false, enum: ['asc', 'desc'], default: 'desc' })
  @IsOptional()
  @IsIn(['asc', 'desc'])
  order: SortOrder = 'desc';
}

export interface Page<T> {
  data: T[];
  total: number;
  limit: number;
  offset: number;
}

export function page<T>(data: T[], total: number, query: ListQueryDto): Page<T> {
  return { data, total, limit: query.limit, offset: query.offset };
}
