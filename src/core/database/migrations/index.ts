import { Init1764080000000 as PostgresInit } from './postgres/1764080000000-Init';
import { Init1764080000000 as SqliteInit } from './sqlite/1764080000000-Init';

/** One ordered list per dialect; a landed migration is never edited, only followed by a new one. */
export const POSTGRES_MIGRATIONS = [PostgresInit];
export const SQLITE_MIGRATIONS = [SqliteInit];
