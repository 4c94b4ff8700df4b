import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import request from 'supertest';

import { BUBBLEWRAP, describeWith } from '../support/capabilities';
import { flushQueues } from '../support/queues';
import { ServerProcess, spawnServer } from '../support/server-process';
import { startTestApp, TestApp } from '../support/test-app';
import { ADMIN_EMAIL, TEST_REDIS_URL } from '../support/test-env';
import { sleep } from '../support/wait';

/**
 * SPEC §8 containment: what a script can see of the server (/proc), whether it can outlive its
 * run (setsid, double fork), and the memory cap, in each SKILL_SANDBOX mode the server accepts.
 */

const SKILLS = '/api/v1/skills';
const marker = () => `oc-contain-${randomUUID().replace(/-/g, '')}`;
// The tests' own PATH may lack /usr/bin on purpose (no bubblewrap): pgrep is looked up here.
const TOOLS_ENV = { PATH: '/usr/local/bin:/usr/bin:/bin' };

interface Run {
  id: string;
  status: string;
  exit_code: number | null;
  stdout: string;
  stderr: string;
  duration_ms: number;
}

/** Processes whose command line holds the marker (pgrep never lists itself). */
function processesWith(mark: string): string {
  return spawnSync('pgrep', ['-af', mark], { encoding: 'utf8', env: TOOLS_ENV }).stdout.trim();
}

/** Walks up $PPID and prints each parent's environment: the review's exploit, as is. */
const PPID_WALK = `p=$PPID
while [ -n "$p" ] && [ "$p" -gt 1 ]; do
  echo "pid $p"
  tr '\\0' '\\n' < /proc/$p/environ 2>/dev/null
  p=$(awk '/^PPid:/ {print $2}' /proc/$p/status 2>/dev/null)
done
echo walked`;

/** Every environment /proc lets the script read. */
const PROC_SCAN = `for f in /proc/[0-9]*/environ; do
  echo "file $f"
  tr '\\0' '\\n' < "$f" 2>/dev/null
done
echo scanned`;

/** An HTTP client of one app (in-process or spawned): creates a skill, runs it, returns the run. */
function client(http: () => request.Agent | ReturnType<typeof request>, token: () => string) {
  return async function runScript(script: string, timeoutMs = 10_000): Promise<Run> {
    const name = `c-${randomUUID().slice(0, 13)}`;
    const created = await http()
      .post(SKILLS)
      .set('Authorization', `Bearer ${token()}`)
      .send({ name, script, timeout_ms: timeoutMs });
    expect(created.status).toBe(201);
    const res = await http()
      .post(`${SKILLS}/${name}/run`)
      .set('Authorization', `Bearer ${token()}`)
      .send({});
    expect(res.status).toBe(200);
    return res.body as Run;
  };
}

/** The tests of setsid escapes and of the memory cap, in one sandbox mode. */
function containmentTests(sandbox: 'none' | 'bwrap'): void {
  let t: TestApp;
  const runScript = client(
    () => t.http(),
    () => t.adminToken,
  );

  beforeAll(async () => {
    await flushQueues(TEST_REDIS_URL);
    t = await startTestApp({ SKILL_SANDBOX: sandbox, SKILL_MAX_MEMORY_MB: '64' });
  });
  afterAll(() => t?.close());

  it('a setsid child dies at the timeout and when the script exits: it never acts later', async () => {
    // Under bwrap the file system the script sees is its own; the processes are what must be gone.
    const late = join(tmpdir(), `${marker()}-late`);
    const left = join(tmpdir(), `${marker()}-left`);
    const [timedOut, exited] = await Promise.all([
      runScript(`setsid sh -c "sleep 6; touch ${late}" & sleep 20`, 1000),
      runScript(`setsid sh -c 'sleep 3; touch ${left}' >/dev/null 2>&1 &`),
    ]);
    expect(timedOut).toMatchObject({ status: 'timed_out', exit_code: null });
    expect(timedOut.duration_ms).toBeLessThan(5000);
    expect(exited).toMatchObject({ status: 'succeeded', exit_code: 0 });
    await sleep(500);
    expect(processesWith(late)).toBe('');
    expect(processesWith(left)).toBe('');
    await sleep(6500);
    expect(existsSync(late)).toBe(false);
    expect(existsSync(left)).toBe(false);
    rmSync(late, { force: true });
    rmSync(left, { force: true });
  }, 30_000);

  it('a double-forked orphan dies with its run too', async () => {
    const mark = marker();
    const res = await runScript(`( ( sleep 30; : ${mark} ) & ) ; echo forked`);
    expect(res).toMatchObject({ status: 'succeeded', stdout: 'forked\n' });
    await sleep(500);
    expect(processesWith(mark)).toBe('');
  });

  it('a run over SKILL_MAX_MEMORY_MB ends failed with the reason; the app keeps working', async () => {
    // tail keeps a "line" with no newline whole: about 300 MB here.
    const res = await runScript('head -c 300000000 /dev/zero | tail -n 1 | wc -c; echo finished');
    expect(res.status).toBe('failed');
    expect(res.stdout).not.toContain('finished');
    expect(res.stderr).toContain('killed: the run used more than 64 MB of memory');
    expect(res.duration_ms).toBeLessThan(10_000);

    await t.http().get('/health/live').expect(200);
    const after = await runScript('echo still here');
    expect(after).toMatchObject({ status: 'succeeded', stdout: 'still here\n', stderr: '' });
  });
}

describe('skills containment: SKILL_SANDBOX=none (SPEC §8)', () => {
  containmentTests('none');
});

describeWith(BUBBLEWRAP)('skills containment: SKILL_SANDBOX=bwrap (SPEC §8)', () => {
  containmentTests('bwrap');
});

describeWith(BUBBLEWRAP)('skills: the bubblewrap sandbox (SKILL_SANDBOX=bwrap)', () => {
  let t: TestApp;
  const runScript = client(
    () => t.http(),
    () => t.adminToken,
  );
  const outside = join('/tmp', `visible-${randomUUID()}`);
  const mark = randomUUID();

  beforeAll(async () => {
    writeFileSync(outside, 'host file');
    await flushQueues(TEST_REDIS_URL);
    t = await startTestApp({ SKILL_SANDBOX: 'bwrap' });
  });
  afterAll(async () => {
    rmSync(outside, { force: true });
    for (const p of [`/etc/x-${mark}`, `/usr/x-${mark}`, `/tmp/inside-${mark}`]) {
      rmSync(p, { force: true });
    }
    await t?.close();
  });

  it('still runs a plain script', async () => {
    const res = await runScript('echo hello');
    expect(res).toMatchObject({ status: 'succeeded', exit_code: 0, stdout: 'hello\n', stderr: '' });
  });

  it('has no network', async () => {
    const res = await runScript(
      `bash -c '(exec 3<>/dev/tcp/127.0.0.1/${new URL(TEST_REDIS_URL).port || 6379} && echo connected) || echo blocked' 2>/dev/null`,
    );
    expect(res.status).toBe('succeeded');
    expect(res.stdout).toBe('blocked\n');
  });

  it('cannot write to the system: /usr fails, nothing reaches the real /usr or /etc', async () => {
    const res = await runScript(
      `touch /usr/x-${mark} && echo usr-written || echo usr-refused; touch /etc/x-${mark} 2>/dev/null; echo ok > here && cat here`,
    );
    expect(res.status).toBe('succeeded');
    expect(res.stdout).toBe('usr-refused\nok\n');
    expect(existsSync(`/usr/x-${mark}`)).toBe(false);
    expect(existsSync(`/etc/x-${mark}`)).toBe(false);
  });

  it('sees a private /tmp', async () => {
    const res = await runScript(
      `cat ${outside} 2>/dev/null || echo hidden; touch /tmp/inside-${mark} && echo wrote`,
    );
    expect(res.status).toBe('succeeded');
    expect(res.stdout).toBe('hidden\nwrote\n');
    expect(existsSync(`/tmp/inside-${mark}`)).toBe(false);
  });

  it('still kills everything on timeout', async () => {
    const m = marker();
    const res = await runScript(`(sleep 30; echo ${m}) & sleep 30`, 500);
    expect(res.status).toBe('timed_out');
    expect(res.duration_ms).toBeLessThan(5000);
    await sleep(200);
    expect(processesWith(m)).toBe('');
  });
});

/** The built server, as a user starts it, holding secrets a script must not see. */
describe('skills: the server secrets stay out of reach (SPEC §8, the built server)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'openclaw-contain-'));
  const servers: ServerProcess[] = [];
  const secrets = {
    JWT_SECRET: `jwt-${marker()}`,
    ADMIN_PASSWORD: `pw-${marker()}`,
    OPENAI_API_KEY: `sk-openai-${marker()}`,
    ANTHROPIC_API_KEY: `sk-ant-${marker()}`,
    DEEPSEEK_API_KEY: `sk-deepseek-${marker()}`,
  };
  // A PATH holding node only: bubblewrap is not found there.
  const noBwrap = mkdtempSync(join(tmpdir(), 'openclaw-no-bwrap-'));

  function start(env: Record<string, string>): ServerProcess {
    const databaseUrl = `sqlite:${join(dir, `${marker()}.db`)}`;
    const server = spawnServer({
      ...secrets,
      DATABASE_URL: databaseUrl,
      DATA_DIR: dir,
      ADMIN_EMAIL,
      LOG_LEVEL: 'info',
      ...env,
    });
    servers.push(server);
    return server;
  }

  async function login(server: ServerProcess) {
    const http = request(`http://127.0.0.1:${server.port}`);
    const res = await http
      .post('/api/v1/auth/login')
      .send({ email: ADMIN_EMAIL, password: secrets.ADMIN_PASSWORD });
    expect(res.status).toBe(200);
    return client(
      () => http,
      () => res.body.access_token as string,
    );
  }

  function expectNoSecret(out: string): void {
    for (const value of [...Object.values(secrets), dir, 'redis://', 'sqlite:']) {
      expect(out).not.toContain(value);
    }
  }

  beforeAll(async () => {
    await flushQueues(TEST_REDIS_URL);
    symlinkSync(process.execPath, join(noBwrap, 'node'));
  });
  afterAll(async () => {
    for (const server of servers) await server.stop();
    rmSync(dir, { recursive: true, force: true });
    rmSync(noBwrap, { recursive: true, force: true });
  });

  describeWith(BUBBLEWRAP)('where bubblewrap runs', () => {
    for (const mode of ['auto (the default)', 'bwrap']) {
      it(`SKILL_SANDBOX=${mode}: neither the PPID walk nor a /proc scan finds a secret`, async () => {
        const server = start(mode === 'bwrap' ? { SKILL_SANDBOX: 'bwrap' } : {});
        await server.waitForOutput(/listening on/);
        expect(server.output()).toMatch(/Skills run under bubblewrap/);
        const runScript = await login(server);

        const walk = await runScript(PPID_WALK);
        expect(walk.status).toBe('succeeded');
        expect(walk.stdout).toMatch(/walked\n$/);
        expectNoSecret(walk.stdout + walk.stderr);

        const scan = await runScript(PROC_SCAN);
        expect(scan.status).toBe('succeeded');
        expect(scan.stdout).toMatch(/scanned\n$/);
        expect(scan.stdout).toContain('OPENCLAW_RUN_ID='); // it did read environments: its own
        expectNoSecret(scan.stdout + scan.stderr);
        await server.stop();
      }, 30_000);
    }
  });

  it('SKILL_SANDBOX=auto: a SIGKILLed worker takes its scripts along, setsid ones included', async () => {
    const server = start({});
    await server.waitForOutput(/listening on/);
    const http = request(`http://127.0.0.1:${server.port}`);
    const token = (
      await http
        .post('/api/v1/auth/login')
        .send({ email: ADMIN_EMAIL, password: secrets.ADMIN_PASSWORD })
    ).body.access_token as string;
    const mark = marker();
    const name = `k-${randomUUID().slice(0, 13)}`;
    await http
      .post(SKILLS)
      .set('Authorization', `Bearer ${token}`)
      .send({ name, script: `setsid sh -c 'sleep 30; : ${mark}-a' & sleep 30; : ${mark}-b` })
      .expect(201);
    await http
      .post(`${SKILLS}/${name}/run?wait=false`)
      .set('Authorization', `Bearer ${token}`)
      .send({})
      .expect(202);
    for (const end = Date.now() + 10_000; Date.now() < end; await sleep(100)) {
      if (processesWith(`${mark}-a`) && processesWith(`${mark}-b`)) break;
    }
    expect(processesWith(`${mark}-a`)).not.toBe('');
    server.proc.kill('SIGKILL');
    await server.exited;
    let left = processesWith(mark);
    for (const end = Date.now() + 3000; left && Date.now() < end; await sleep(100)) {
      left = processesWith(mark);
    }
    expect(left).toBe('');
  }, 30_000);

  it('SKILL_SANDBOX=none: runs, with a warning at start that /proc is not hidden', async () => {
    const server = start({ SKILL_SANDBOX: 'none' });
    await server.waitForOutput(/listening on/);
    expect(server.output()).toMatch(/"level":40[^\n]*SKILL_SANDBOX=none[^\n]*\/proc/);
    const runScript = await login(server);
    expect(await runScript('echo hi')).toMatchObject({ status: 'succeeded', stdout: 'hi\n' });
    await server.stop();
  }, 30_000);

  it('SKILL_SANDBOX=auto without bubblewrap, outside production: runs without it, with a warning', async () => {
    const server = start({ PATH: noBwrap });
    await server.waitForOutput(/listening on/);
    expect(server.output()).toMatch(
      /"level":40[^\n]*bubblewrap cannot run here[^\n]*without a sandbox/,
    );
    const runScript = await login(server);
    expect(await runScript('echo hi')).toMatchObject({ status: 'succeeded', stdout: 'hi\n' });
    await server.stop();
  }, 30_000);

  it('SKILL_SANDBOX=auto without bubblewrap, NODE_ENV=production: refuses to start, one line naming both fixes', async () => {
    const server = start({ PATH: noBwrap, NODE_ENV: 'production' });
    const exit = await server.exited;
    expect(exit.code).toBe(1);
    const lines = server.output().split('\n').filter(Boolean);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/bubblewrap/);
    expect(lines[0]).toMatch(/apt-get install bubblewrap/);
    expect(lines[0]).toMatch(/SKILL_SANDBOX=none/);
  }, 30_000);

  it('SKILL_SANDBOX=bwrap without bubblewrap: refuses to start, even outside production', async () => {
    const server = start({ PATH: noBwrap, SKILL_SANDBOX: 'bwrap' });
    const exit = await server.exited;
    expect(exit.code).toBe(1);
    const lines = server.output().split('\n').filter(Boolean);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /SKILL_SANDBOX=bwrap.*bwrap is not installed.*apt-get install bubblewrap/,
    );
  }, 30_000);
});
