import type { ValueTransformer } from 'typeorm';

/** A JSON value in a text column: the same column type on SQLite and PostgreSQL. */
export const jsonText: ValueTransformer = {
  to: (value: unknown) => (value === null || value === undefined ? value : JSON.stringify(value)),
  from: (value: string | null) =>
    value === null || value === undefined ? null : JSON.parse(value),
};
