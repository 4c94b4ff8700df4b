import type { ValueTransformer } from 'typeorm';

/** A bigint column read as a number: PostgreSQL answers bigints as strings; every value stored is below 2^53. */
export const bigintNumber: ValueTransformer = {
  to: (value: number | null | undefined) => value,
  from: (value: string | number | null | undefined) =>
    value === null || value === undefined ? null : Number(value),
};
