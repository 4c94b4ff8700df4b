import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { startApp } from '../support/test-app';
import { TEST_REDIS_URL, testEnv } from '../support/test-env';
import { sleep } from '../support/wait';

/** `url` with a non-zero database index: its own if it has one, else `index`. */
function withDatabaseIndex(url: string, index: number): string {
  const parsed = new URL(url);
  if (Number(parsed.pathname.slice(1) || 0) === 0) parsed.pathname = `/${index}`;
  return parsed.toString();
}

/** What keeps the event loop alive (sockets, servers, timers), by kind. */
function liveResources(): string[] {
  return process
    .getActiveResourcesInfo()
    .filter((kind) => kind !== 'TTYWrap')
    .sort();
}

/** What `now` holds beyond `baseline`, kind by kind: fewer is fine, a timer from before may have ended. */
function beyond(now: string[], baseline: string[]): string[] {
  const left = [...baseline];
  return now.filter((kind) => {
    const i = left.indexOf(kind);
    if (i < 0) return true;
    left.splice(i, 1);
    return false;
  });
}

/**
 * What is still open beyond `baseline` once it has settled, or after 5 s: a closed Redis client keeps
 * a timer for up to its disconnectTimeout (2 s) while its socket finishes closing.
 */
async function leftOpen(baseline: string[]): Promise<string[]> {
  const deadline = Date.now() + 5000;
  let extra = beyond(liveResources(), baseline);
  while (Date.now() < deadline && extra.length > 0) {
    await sleep(100);
    extra = beyond(liveResources(), baseline);
  }
  return extra;
}

/**
 * A test file whose beforeAll fails to start the app must not keep Jest from exiting: start-up
 * closes the app, its Redis clients and queues when it fails, whatever step failed.
 */
describe('a failing start-up leaves nothing open', () => {
  let baseline: string[];

  beforeAll(async () => {
    await sleep(200);
    baseline = liveResources();
  });

  it.each<[string, () => Record<string, string>]>([
    [
      'a providers file that is not valid',
      () => {
        const file = join(mkdtempSync(join(tmpdir(), 'openclaw-providers-')), 'providers.yaml');
        writeFileSync(file, 'providers: [{ name: broken }]\n');
        // On a PostgreSQL run, its pool is open by the time the providers are read.
        const pg = process.env.DATABASE_URL;
        return { PROVIDERS_FILE: file, ...(pg && { DATABASE_URL: pg }) };
      },
    ],
    [
      // A Redis database other than 0: each connection's SELECT is then in flight when the queues close.
      'an unreachable PostgreSQL',
      () => ({
        DATABASE_URL: 'postgres://openclaw:secret@127.0.0.1:1/openclaw',
        REDIS_URL: withDatabaseIndex(TEST_REDIS_URL, 1),
      }),
    ],
    [
      // After the app is built (listen runs the bootstrap hooks). ROLE=api: a BullMQ worker closed
      // while its first stalled-job check is in flight keeps that check's timer (a known race).
      'a first-admin password file that cannot be written',
      () => ({ ROLE: 'api', ADMIN_EMAIL: '', ADMIN_PASSWORD: '', DATA_DIR: '/proc/version/x' }),
    ],
  ])('%s', async (_, overrides) => {
    // A fresh SQLite file unless the case names its database: nothing from other files is there.
    const database = `sqlite:${join(mkdtempSync(join(tmpdir(), 'openclaw-handles-')), 'db.sqlite')}`;
    const env = testEnv({ DATABASE_URL: database, ...overrides() });
    await expect(startApp(env, { reset: false })).rejects.toThrow();
    expect(await leftOpen(baseline)).toEqual([]);
  });
});
