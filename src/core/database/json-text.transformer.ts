import type { ValueTransformer } from 'typeorm';

/** A JSON value in a text column: the same column type on SQLite and PostgreSQL. */
export const jsonText: ValueTransformer = {
  to: (value: unknown) => (value === null || value === undefined ? value : JSON.stringify(value)),
  from: (value: string | null) =>
    value === null || value === undefined ? null : JSON.parse(value),
};

/** A bigint column: PostgreSQL answers it as a string; every value stored here is below 2^53. */
export const numberOrNull: ValueTransformer = {
  to: (value: unknown) => value,
  from: (value: string | number | null) =>
    value === null || value === undefined ? null : Number(value),
};
