import { QueryFailedError } from 'typeorm';

/** A unique index refused the row, on PostgreSQL or SQLite. */
export function isUniqueViolation(err: unknown): boolean {
  const code =
    err instanceof QueryFailedError ? (err.driverError as { code?: string })?.code : undefined;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}
