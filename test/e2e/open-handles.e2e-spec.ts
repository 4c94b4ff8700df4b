import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { startApp } from '../support/test-app';
import { testEnv } from '../support/test-env';
import { sleep } from '../support/wait';

/** What keeps the event loop alive (sockets, servers, timers), by kind. */
function liveResources(): string[] {
  return process
    .getActiveResourcesInfo()
    .filter((kind) => kind !== 'TTYWrap')
    .sort();
}

/**
 * The live resources once they are back to `baseline`, or as they are after 5 s: a closed Redis
 * client keeps a timer for up to its disconnectTimeout (2 s) while its socket finishes closing.
 */
async function settledResources(baseline: string[]): Promise<string[]> {
  const deadline = Date.now() + 5000;
  let now = liveResources();
  while (Date.now() < deadline && JSON.stringify(now) !== JSON.stringify(baseline)) {
    await sleep(100);
    now = liveResources();
  }
  return now;
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
      'an unreachable PostgreSQL',
      () => ({ DATABASE_URL: 'postgres://openclaw:secret@127.0.0.1:1/openclaw' }),
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
    expect(await settledResources(baseline)).toEqual(baseline);
  });
});
