import { ApiProperty, type SchemaObject } from '@nestjs/swagger';

export class HealthLiveDto {
  @ApiProperty({ enum: ['ok'] })
  status: 'ok';
}

/** One dependency's check; the checks are keyed by name (`database`, `redis`). */
const CHECK: SchemaObject = {
  type: 'object',
  properties: { status: { type: 'string', enum: ['up', 'down'] } },
  required: ['status'],
  additionalProperties: true,
};
const ALL_UP = { database: { status: 'up' }, redis: { status: 'up' } };

/** @nestjs/terminus' answer when every dependency is up. */
export class HealthReadyDto {
  @ApiProperty({ enum: ['ok'] })
  status: 'ok';

  /** The checks that are up. */
  @ApiProperty({ type: 'object', additionalProperties: CHECK, example: ALL_UP })
  info?: Record<string, { status: string }>;

  /** The checks that are down: none here. */
  @ApiProperty({ type: 'object', additionalProperties: CHECK, example: {} })
  error?: Record<string, { status: string }>;

  /** Every check. */
  @ApiProperty({ type: 'object', additionalProperties: CHECK, example: ALL_UP })
  details: Record<string, { status: string }>;
}
