import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Env, loadEnv } from '../../src/core/env/env';

export const ADMIN_EMAIL = 'admin@example.test';
export const ADMIN_PASSWORD = 'admin-password-123';
export const TEST_REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/0';

/**
 * The environment of one test app: PostgreSQL when the run sets DATABASE_URL (CI does),
 * otherwise a fresh SQLite file; the local Redis either way.
 */
export function testEnv(overrides: Record<string, string | undefined> = {}): Env {
  const dir = mkdtempSync(join(tmpdir(), 'openclaw-test-'));
  return loadEnv(
    {
      NODE_ENV: 'test',
      DATABASE_URL: process.env.DATABASE_URL || `sqlite:${join(dir, 'openclaw.db')}`,
      REDIS_URL: TEST_REDIS_URL,
      DATA_DIR: dir,
      ADMIN_EMAIL,
      ADMIN_PASSWORD,
      LOG_LEVEL: 'error',
      RATE_LIMIT_LOGIN_PER_MINUTE: '1000',
      RATE_LIMIT_PER_MINUTE: '100000',
      RATE_LIMIT_CHAT_PER_MINUTE: '100000',
      // A loaded test machine can take longer than the production 1 s to answer; a timed-out limit
      // check would let a request through and make the limit tests flaky. Fault tests set their own.
      REDIS_COMMAND_TIMEOUT_MS: '5000',
      ...overrides,
    },
    false,
  );
}
