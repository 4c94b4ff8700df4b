import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Response } from 'supertest';

import { createApiKey, createUser, TestUser } from '../factories/users.factory';
import { expectError, expectFieldError } from '../support/expect-error';
import { dbQuery, send } from '../support/http';
import { ISO_UTC, UUID } from '../support/matchers';
import { flushQueues } from '../support/queues';
import { startTestApp, TestApp } from '../support/test-app';
import { TEST_REDIS_URL } from '../support/test-env';
import { sleep } from '../support/wait';

const SKILLS = '/api/v1/skills';
const SKILL_FIELDS = ['created_at', 'description', 'name', 'script', 'timeout_ms', 'updated_at'];
const RUN_FIELDS = [
  'created_at',
  'duration_ms',
  'exit_code',
  'finished_at',
  'id',
  'output_truncated',
  'params',
  'skill',
  'started_at',
  'status',
  'stderr',
  'stdout',
];
const FINISHED = ['succeeded', 'failed', 'timed_out'];
/** Variables a POSIX shell sets for itself; everything else in a script's `env` came from the server. */
const SHELL_OWN = ['PWD', 'SHLVL', '_', 'OLDPWD'];
const MALFORMED_IDS = [
  '123',
  'not-a-uuid',
  `${randomUUID()}x`,
  encodeURIComponent("1' OR '1'='1"),
  '%00',
];

// Every in-process app of every test file runs a skill-runs worker on the same queue name: a Redis
// database of this file's own keeps another file's worker (or its start-up flush) away from our jobs.
const REDIS_URL = (() => {
  const url = new URL(TEST_REDIS_URL);
  url.pathname = `/${1 + (process.pid % 7)}`;
  return url.toString();
})();

type Method = 'get' | 'post' | 'patch' | 'delete';

interface Skill {
  name: string;
  description: string;
  script?: string;
  timeout_ms: number;
  created_at: string;
  updated_at: string;
}

interface Run {
  id: string;
  skill: string;
  status: string;
  params: Record<string, unknown>;
  exit_code: number | null;
  stdout: string;
  stderr: string;
  output_truncated: boolean;
  duration_ms: number | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
}

const uniqueName = (prefix = 's') => `${prefix}-${randomUUID().slice(0, 13)}`;
const marker = () => `oc-e2e-${randomUUID().replace(/-/g, '')}`;

/** The real app on this file's Redis database, with its queues emptied first. */
async function startSkillsApp(overrides: Record<string, string> = {}): Promise<TestApp> {
  await flushQueues(REDIS_URL);
  return startTestApp({ REDIS_URL, ...overrides });
}

/** Processes whose command line holds the marker (pgrep never lists itself). */
function processesWith(mark: string): string {
  return spawnSync('pgrep', ['-af', mark], { encoding: 'utf8' }).stdout.trim();
}

function expectSkill(body: Skill, withScript: boolean): void {
  expect(Object.keys(body).sort()).toEqual(
    withScript ? SKILL_FIELDS : SKILL_FIELDS.filter((f) => f !== 'script'),
  );
  expect(typeof body.timeout_ms).toBe('number');
  expect(body.created_at).toMatch(ISO_UTC);
  expect(body.updated_at).toMatch(ISO_UTC);
}

function expectRun(run: Run): void {
  expect(Object.keys(run).sort()).toEqual(RUN_FIELDS);
  expect(run.id).toMatch(UUID);
  expect(run.created_at).toMatch(ISO_UTC);
  expect(typeof run.stdout).toBe('string');
  expect(typeof run.stderr).toBe('string');
  expect(typeof run.output_truncated).toBe('boolean');
  if (FINISHED.includes(run.status)) {
    expect(run.started_at).toMatch(ISO_UTC);
    expect(run.finished_at).toMatch(ISO_UTC);
    expect(Date.parse(run.started_at!)).toBeGreaterThanOrEqual(Date.parse(run.created_at));
    expect(Date.parse(run.finished_at!)).toBeGreaterThanOrEqual(Date.parse(run.started_at!));
    expect(Number.isInteger(run.duration_ms) && run.duration_ms! >= 0).toBe(true);
  } else {
    expect(['queued', 'running']).toContain(run.status);
    expect(run.exit_code).toBeNull();
    expect(run.finished_at).toBeNull();
  }
}

/** Calls and helpers bound to whichever app a describe block started. */
function harness(app: () => TestApp) {
  function call(
    method: Method,
    path: string,
    token?: string,
    body?: Record<string, unknown> | unknown[] | string,
  ) {
    return send(app(), method, path, token, body);
  }

  /** SQL with $1… placeholders on both dialects. */
  const sql = <T = Record<string, unknown>>(text: string, params: unknown[] = []) =>
    dbQuery<T>(app().db, text, params);

  async function count(text: string, params: unknown[] = []): Promise<number> {
    const [row] = await sql<{ n: string | number }>(text, params);
    return Number(row.n);
  }

  async function createSkill(attrs: Record<string, unknown>): Promise<Skill> {
    const res = await call('post', SKILLS, app().adminToken, { name: uniqueName(), ...attrs });
    expect(res.status).toBe(201);
    return res.body as Skill;
  }

  function run(
    name: string,
    token: string,
    body: Record<string, unknown> = {},
    query = '',
  ): Promise<Response> {
    return call('post', `${SKILLS}/${name}/run${query}`, token, body);
  }

  /** A new skill holding the script, run once and waited for: the finished run. */
  async function runScript(
    script: string,
    params?: Record<string, unknown>,
    token = app().adminToken,
    attrs: Record<string, unknown> = {},
  ): Promise<Run> {
    const skill = await createSkill({ script, ...attrs });
    const res = await run(skill.name, token, params === undefined ? {} : { params });
    expect(res.status).toBe(200);
    expectRun(res.body);
    return res.body as Run;
  }

  async function pollRun(
    location: string,
    token: string,
    timeoutMs = 10_000,
    done = (r: Run) => FINISHED.includes(r.status),
  ): Promise<Run> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const res = await call('get', location, token);
      expect(res.status).toBe(200);
      if (done(res.body) || Date.now() > deadline) return res.body as Run;
      await sleep(100);
    }
  }

  return { call, sql, count, createSkill, run, runScript, pollRun };
}

describe('skills (SPEC §8)', () => {
  let t: TestApp;
  let alice: TestUser;
  let bob: TestUser;
  const h = harness(() => t);
  const { call, sql, count, createSkill, run, runScript } = h;
  const secrets = {
    JWT_SECRET: `jwt-secret-${randomUUID()}-${randomUUID()}`,
    OPENAI_API_KEY: `sk-openai-${randomUUID()}`,
    DEEPSEEK_API_KEY: `sk-deepseek-${randomUUID()}`,
  };
  const saved: Record<string, string | undefined> = {};

  const runRows = (skillName: string) =>
    count(
      'SELECT COUNT(*) AS n FROM skill_runs r JOIN skills s ON s.id = r.skill_id WHERE s.name = $1',
      [skillName],
    );

  beforeAll(async () => {
    // The same secrets in the test process too, so a runner passing process.env along would leak them.
    for (const [key, value] of Object.entries(secrets)) {
      saved[key] = process.env[key];
      process.env[key] = value;
    }
    t = await startSkillsApp({
      ...secrets,
      SKILL_TIMEOUT_MS: '12345',
      SKILL_MAX_TIMEOUT_MS: '60000',
    });
    alice = await createUser(t);
    bob = await createUser(t);
  });
  afterAll(async () => {
    await t?.close();
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });

  // In order: the run uses the skill the first example creates.
  describe('the seed examples', () => {
    it('POST /skills {"name":"my-skill","description":"描述","script":"echo \'hello\'"} → 201', async () => {
      const res = await call('post', SKILLS, t.adminToken, {
        name: 'my-skill',
        description: '描述',
        script: "echo 'hello'",
      });
      expect(res.status).toBe(201);
      expectSkill(res.body, true);
      expect(res.body).toMatchObject({
        name: 'my-skill',
        description: '描述',
        script: "echo 'hello'",
        timeout_ms: 12345,
      });

      const got = await call('get', `${SKILLS}/my-skill`, t.adminToken);
      expect(got.status).toBe(200);
      expect(got.body).toEqual(res.body);
    });

    it('POST /skills/my-skill/run {"params":{"key":"value"}} → 200 with the finished run (any user)', async () => {
      const res = await run('my-skill', alice.token, { params: { key: 'value' } });
      expect(res.status).toBe(200);
      expectRun(res.body);
      expect(res.body).toMatchObject({
        skill: 'my-skill',
        status: 'succeeded',
        params: { key: 'value' },
        exit_code: 0,
        stdout: 'hello\n',
        stderr: '',
        output_truncated: false,
      });
      expect(res.headers.location).toBeUndefined();

      const got = await call('get', `${SKILLS}/my-skill/runs/${res.body.id}`, alice.token);
      expect(got.status).toBe(200);
      expect(got.body).toEqual(res.body);
    });

    it('GET /skills lists it to any user', async () => {
      const res = await call('get', SKILLS, bob.token);
      expect(res.status).toBe(200);
      expect(res.body.data.map((s: Skill) => s.name)).toContain('my-skill');
    });
  });

  describe('definitions', () => {
    it('requires authentication', async () => {
      for (const res of [
        await call('get', SKILLS),
        await call('get', `${SKILLS}/my-skill`),
        await call('post', SKILLS, undefined, { name: uniqueName(), script: 'true' }),
        await call('post', `${SKILLS}/my-skill/run`, undefined, {}),
        await call('get', `${SKILLS}/my-skill/runs`),
      ]) {
        expectError(res, 401, 'UNAUTHORIZED');
      }
    });

    it('lets only admins create, change and delete skills: 403 FORBIDDEN for a user, nothing changed', async () => {
      const skill = await createSkill({ description: 'before', script: 'echo before' });
      const name = uniqueName();
      expectError(
        await call('post', SKILLS, alice.token, { name, script: 'echo x' }),
        403,
        'FORBIDDEN',
      );
      expectError(
        await call('patch', `${SKILLS}/${skill.name}`, alice.token, { script: 'echo pwned' }),
        403,
        'FORBIDDEN',
      );
      expectError(await call('delete', `${SKILLS}/${skill.name}`, alice.token), 403, 'FORBIDDEN');

      expectError(await call('get', `${SKILLS}/${name}`, t.adminToken), 404, 'SKILL_NOT_FOUND');
      const got = await call('get', `${SKILLS}/${skill.name}`, t.adminToken);
      expect(got.status).toBe(200);
      expect(got.body).toEqual(skill);

      const other = await createUser(t, 'admin');
      const created = await call('post', SKILLS, other.token, { name, script: 'true' });
      expect(created.status).toBe(201);
    });

    it('lists skills to any user, paginated, with the script for admins only', async () => {
      const first = await createSkill({ script: 'echo secret-logic-1' });
      await sleep(5);
      const second = await createSkill({ script: 'echo secret-logic-2' });
      const total = await count('SELECT COUNT(*) AS n FROM skills');

      const asUser = await call('get', `${SKILLS}?limit=100`, alice.token);
      expect(asUser.status).toBe(200);
      expect(asUser.body).toMatchObject({ total, limit: 100, offset: 0 });
      expect(asUser.body.data).toHaveLength(total);
      for (const s of asUser.body.data) expectSkill(s, false);
      expect(asUser.text).not.toContain('secret-logic');

      const asAdmin = await call('get', `${SKILLS}?limit=100`, t.adminToken);
      expect(asAdmin.status).toBe(200);
      for (const s of asAdmin.body.data) expectSkill(s, true);
      const byName = new Map(asAdmin.body.data.map((s: Skill) => [s.name, s]));
      expect(byName.get(first.name)).toEqual(first);
      expect(byName.get(second.name)).toEqual(second);

      const newest = await call('get', `${SKILLS}?limit=1&order=desc`, alice.token);
      expect(newest.body).toMatchObject({ total, limit: 1, offset: 0 });
      expect(newest.body.data.map((s: Skill) => s.name)).toEqual([second.name]);
      const oldestFirst = await call('get', `${SKILLS}?limit=100&order=asc`, alice.token);
      expect(oldestFirst.body.data.map((s: Skill) => s.name)).toEqual(
        asUser.body.data.map((s: Skill) => s.name).reverse(),
      );
      const paged = await call('get', `${SKILLS}?limit=1&offset=1`, alice.token);
      expect(paged.body).toMatchObject({ total, limit: 1, offset: 1 });
      expect(paged.body.data.map((s: Skill) => s.name)).toEqual([first.name]);

      for (const q of ['limit=0', 'limit=101', 'offset=-1', 'order=sideways', 'limit=abc']) {
        expectError(await call('get', `${SKILLS}?${q}`, alice.token), 400, 'VALIDATION_ERROR');
      }
    });

    it('answers one skill, with the script for admins only', async () => {
      const skill = await createSkill({ description: 'd', script: 'echo only-admins-see-this' });
      const asUser = await call('get', `${SKILLS}/${skill.name}`, bob.token);
      expect(asUser.status).toBe(200);
      expectSkill(asUser.body, false);
      expect(asUser.body).toEqual({ ...skill, script: undefined });
      expect(asUser.text).not.toContain('only-admins-see-this');
    });

    it('answers 409 CONFLICT for a taken name, and keeps the first skill', async () => {
      const skill = await createSkill({ script: 'echo first' });
      const res = await call('post', SKILLS, t.adminToken, {
        name: skill.name,
        script: 'echo second',
      });
      expectError(res, 409, 'CONFLICT');
      const got = await call('get', `${SKILLS}/${skill.name}`, t.adminToken);
      expect(got.body.script).toBe('echo first');
    });

    it('validates the name against ^[a-z0-9][a-z0-9_-]{0,63}$', async () => {
      for (const name of [
        'My-skill',
        'UPPER',
        '-leading',
        '_leading',
        'a'.repeat(65),
        'has space',
        'dot.ted',
        'slash/name',
        'ünïcode',
        '',
        123,
        null,
      ]) {
        const res = await call('post', SKILLS, t.adminToken, { name, script: 'true' });
        expectFieldError(res, 'name');
      }
      expectFieldError(await call('post', SKILLS, t.adminToken, { script: 'true' }), 'name');

      for (const name of ['a'.repeat(64), '0', '9_x-y', `x-${randomUUID().slice(0, 8)}_`]) {
        const res = await call('post', SKILLS, t.adminToken, { name, script: 'true' });
        expect({ name, status: res.status }).toEqual({ name, status: 201 });
        expect(res.body.name).toBe(name);
      }
    });

    it('validates the script and the description', async () => {
      for (const script of [undefined, '', 42, null]) {
        const res = await call('post', SKILLS, t.adminToken, { name: uniqueName(), script });
        expectFieldError(res, 'script');
      }
      const res = await call('post', SKILLS, t.adminToken, {
        name: uniqueName(),
        script: 'true',
        description: 7,
      });
      expectFieldError(res, 'description');
    });

    it('defaults timeout_ms to SKILL_TIMEOUT_MS and refuses more than SKILL_MAX_TIMEOUT_MS', async () => {
      const plain = await createSkill({ script: 'true' });
      expect(plain.timeout_ms).toBe(12345);
      const max = await createSkill({ script: 'true', timeout_ms: 60000 });
      expect(max.timeout_ms).toBe(60000);

      for (const timeout_ms of [60001, 10_000_000, 1.5, '1000', 0, -1, true]) {
        const name = uniqueName();
        const res = await call('post', SKILLS, t.adminToken, { name, script: 'true', timeout_ms });
        expectFieldError(res, 'timeout_ms');
        expectError(await call('get', `${SKILLS}/${name}`, t.adminToken), 404, 'SKILL_NOT_FOUND');
      }
      for (const timeout_ms of [60001, 2.5, 'soon']) {
        const res = await call('patch', `${SKILLS}/${plain.name}`, t.adminToken, { timeout_ms });
        expectFieldError(res, 'timeout_ms');
      }
      const got = await call('get', `${SKILLS}/${plain.name}`, t.adminToken);
      expect(got.body.timeout_ms).toBe(12345);
    });

    it('PATCH changes description, script and timeout_ms, each alone or together', async () => {
      const skill = await createSkill({ description: 'old', script: 'echo old' });
      await sleep(5);

      const desc = await call('patch', `${SKILLS}/${skill.name}`, t.adminToken, {
        description: 'new words',
      });
      expect(desc.status).toBe(200);
      expectSkill(desc.body, true);
      expect(desc.body).toMatchObject({
        name: skill.name,
        description: 'new words',
        script: 'echo old',
        timeout_ms: 12345,
        created_at: skill.created_at,
      });
      expect(Date.parse(desc.body.updated_at)).toBeGreaterThan(Date.parse(skill.updated_at));

      const both = await call('patch', `${SKILLS}/${skill.name}`, t.adminToken, {
        script: 'echo new',
        timeout_ms: 2000,
      });
      expect(both.status).toBe(200);
      expect(both.body).toMatchObject({
        description: 'new words',
        script: 'echo new',
        timeout_ms: 2000,
      });

      const got = await call('get', `${SKILLS}/${skill.name}`, t.adminToken);
      expect(got.body).toEqual(both.body);
      const ran = await run(skill.name, alice.token);
      expect(ran.status).toBe(200);
      expect(ran.body.stdout).toBe('new\n');

      expectFieldError(
        await call('patch', `${SKILLS}/${skill.name}`, t.adminToken, { script: '' }),
        'script',
      );
    });

    it('DELETE → 204, then 404 SKILL_NOT_FOUND everywhere, and its runs are gone', async () => {
      const skill = await createSkill({ script: 'echo bye' });
      const ran = await run(skill.name, alice.token);
      expect(ran.status).toBe(200);
      await run(skill.name, t.adminToken);
      expect(await runRows(skill.name)).toBe(2);
      const [{ id: skillId }] = await sql<{ id: string }>('SELECT id FROM skills WHERE name = $1', [
        skill.name,
      ]);

      const del = await call('delete', `${SKILLS}/${skill.name}`, t.adminToken);
      expect(del.status).toBe(204);
      expect(del.text).toBe('');

      expect(
        await count('SELECT COUNT(*) AS n FROM skill_runs WHERE skill_id = $1', [skillId]),
      ).toBe(0);
      for (const res of [
        await call('get', `${SKILLS}/${skill.name}`, t.adminToken),
        await call('delete', `${SKILLS}/${skill.name}`, t.adminToken),
        await call('get', `${SKILLS}/${skill.name}/runs`, alice.token),
        await call('get', `${SKILLS}/${skill.name}/runs/${ran.body.id}`, alice.token),
        await run(skill.name, alice.token),
      ]) {
        expectError(res, 404, 'SKILL_NOT_FOUND');
      }

      const again = await call('post', SKILLS, t.adminToken, {
        name: skill.name,
        script: 'echo back',
      });
      expect(again.status).toBe(201);
      const runs = await call('get', `${SKILLS}/${skill.name}/runs`, t.adminToken);
      expect(runs.body).toMatchObject({ data: [], total: 0 });
    });

    it('answers 404 SKILL_NOT_FOUND for an unknown skill on every route, never a 500', async () => {
      for (const name of [
        uniqueName('nope'),
        'UPPER',
        '%00',
        'x'.repeat(300),
        encodeURIComponent("a' OR '1'='1"),
      ]) {
        for (const token of [alice.token, t.adminToken]) {
          for (const res of [
            await call('get', `${SKILLS}/${name}`, token),
            await call('get', `${SKILLS}/${name}/runs`, token),
            await call('get', `${SKILLS}/${name}/runs/${randomUUID()}`, token),
            await call('post', `${SKILLS}/${name}/run`, token, { params: { a: 'b' } }),
          ]) {
            expectError(res, 404, 'SKILL_NOT_FOUND');
          }
        }
        expectError(
          await call('patch', `${SKILLS}/${name}`, t.adminToken, { description: 'x' }),
          404,
          'SKILL_NOT_FOUND',
        );
        expectError(
          await call('delete', `${SKILLS}/${name}`, t.adminToken),
          404,
          'SKILL_NOT_FOUND',
        );
      }
    });

    it('refuses unknown body fields with a 400 on create, update and run', async () => {
      const skill = await createSkill({ script: 'true' });
      const name = uniqueName();
      expectFieldError(
        await call('post', SKILLS, t.adminToken, { name, script: 'true', owner: 'me' }),
        'owner',
      );
      expectError(await call('get', `${SKILLS}/${name}`, t.adminToken), 404, 'SKILL_NOT_FOUND');
      expectFieldError(
        await call('patch', `${SKILLS}/${skill.name}`, t.adminToken, {
          script: 'x',
          shell: 'bash',
        }),
        'shell',
      );
      expectFieldError(await run(skill.name, alice.token, { params: {}, env: { A: 'b' } }), 'env');
      expect(await runRows(skill.name)).toBe(0);
    });

    it('answers INVALID_JSON and UNSUPPORTED_MEDIA_TYPE on bad bodies', async () => {
      const bad = await t
        .http()
        .post(SKILLS)
        .set('Authorization', `Bearer ${t.adminToken}`)
        .set('Content-Type', 'application/json')
        .send('{"name": "x", ');
      expectError(bad, 400, 'INVALID_JSON');
      const text = await t
        .http()
        .post(SKILLS)
        .set('Authorization', `Bearer ${t.adminToken}`)
        .set('Content-Type', 'text/plain')
        .send('name=x');
      expectError(text, 415, 'UNSUPPORTED_MEDIA_TYPE');
    });
  });

  describe('runs', () => {
    it('lets any user run a skill, with a JWT or an API key', async () => {
      const skill = await createSkill({ script: 'echo "run $OPENCLAW_RUN_ID"' });
      const key = await createApiKey(t, bob.token);
      for (const token of [alice.token, key, t.adminToken]) {
        const res = await run(skill.name, token);
        expect(res.status).toBe(200);
        expectRun(res.body);
        expect(res.body).toMatchObject({ status: 'succeeded', params: {}, exit_code: 0 });
        expect(res.body.stdout).toBe(`run ${res.body.id}\n`);
      }
      const noBody = await t
        .http()
        .post(`${SKILLS}/${skill.name}/run`)
        .set('Authorization', `Bearer ${alice.token}`);
      expect(noBody.status).toBe(200);
      expect(noBody.body).toMatchObject({ status: 'succeeded', params: {} });
    });

    it('answers empty output as "" and records the duration', async () => {
      const res = await runScript('sleep 0.3');
      expect(res).toMatchObject({ status: 'succeeded', exit_code: 0, stdout: '', stderr: '' });
      expect(res.duration_ms).toBeGreaterThanOrEqual(250);
      expect(res.duration_ms).toBeLessThan(10_000);
    });

    it('passes params as PARAM_<KEY> (upper-cased) and as JSON on stdin', async () => {
      const params = { key: 'value', MixedCase: 'Ünïcode ✓ 描述', _under: '', multi: 'a\nb' };
      const env = await runScript(
        'printf "%s|%s|%s|%s|%s" "$PARAM_KEY" "$PARAM_MIXEDCASE" "$PARAM__UNDER" "$PARAM_MULTI" "${PARAM_key-unset}"',
        params,
        alice.token,
      );
      expect(env.status).toBe('succeeded');
      expect(env.stdout).toBe('value|Ünïcode ✓ 描述||a\nb|unset');
      expect(env.params).toEqual(params);

      const stdin = await runScript('cat', params, alice.token);
      expect(stdin.status).toBe('succeeded');
      expect(JSON.parse(stdin.stdout)).toEqual(params);

      const none = await runScript('cat');
      expect(JSON.parse(none.stdout)).toEqual({});
    });

    it('turns numbers and booleans into strings in the environment, and keeps their types on stdin', async () => {
      const params = { n: 42, neg: -7, f: 1.5, yes: true, no: false, zero: 0 };
      const env = await runScript(
        'printf "%s " "$PARAM_N" "$PARAM_NEG" "$PARAM_F" "$PARAM_YES" "$PARAM_NO" "$PARAM_ZERO"; echo; cat',
        params,
      );
      expect(env.status).toBe('succeeded');
      const [line, json] = env.stdout.split('\n');
      expect(line).toBe('42 -7 1.5 true false 0 ');
      expect(JSON.parse(json)).toEqual(params);
      expect(env.params).toEqual(params);
    });

    it('never executes shell syntax found in param values', async () => {
      const pwned = join(tmpdir(), `pwned-${randomUUID()}`);
      const values = [
        `$(touch ${pwned})`,
        `\`touch ${pwned}\``,
        `; touch ${pwned}`,
        `' ; touch ${pwned} ; '`,
        `" && touch ${pwned} "`,
        `| touch ${pwned}`,
        `\ntouch ${pwned}\n`,
        `$(touch ${pwned}) \${IFS} $HOME %s %n`,
      ];
      const skill = await createSkill({ script: 'printf "%s" "$PARAM_X"' });
      for (const x of values) {
        const res = await run(skill.name, alice.token, { params: { x } });
        expect(res.status).toBe(200);
        expect(res.body).toMatchObject({ status: 'succeeded', stdout: x, params: { x } });
      }
      const stdin = await runScript('cat >/dev/null; echo done', { x: values[0] }, alice.token);
      expect(stdin.stdout).toBe('done\n');
      expect(existsSync(pwned)).toBe(false);
    });

    it('gives the script only PATH, HOME, LANG, PARAM_* and OPENCLAW_RUN_ID — none of the server secrets', async () => {
      const res = await runScript('env', { greeting: 'hi' }, alice.token);
      expect(res.status).toBe('succeeded');
      const vars = new Map(
        res.stdout
          .trim()
          .split('\n')
          .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
      );
      const names = [...vars.keys()].filter((k) => !SHELL_OWN.includes(k)).sort();
      expect(names).toEqual(['HOME', 'LANG', 'OPENCLAW_RUN_ID', 'PARAM_GREETING', 'PATH']);
      expect(vars.get('OPENCLAW_RUN_ID')).toBe(res.id);
      expect(vars.get('PARAM_GREETING')).toBe('hi');
      if (vars.has('PWD')) expect(vars.get('PWD')).toBe(vars.get('HOME'));

      const home = vars.get('HOME')!;
      expect(home.startsWith('/')).toBe(true);
      expect(existsSync(home)).toBe(false);

      for (const secret of Object.values(secrets)) expect(res.stdout).not.toContain(secret);
      for (const name of [
        'JWT_SECRET',
        'OPENAI_API_KEY',
        'DEEPSEEK_API_KEY',
        'DATABASE_URL',
        'REDIS_URL',
      ]) {
        expect(res.stdout).not.toContain(name);
      }
      expect(res.stdout).not.toContain(REDIS_URL);
      expect(res.stdout).not.toContain(t.env.DATA_DIR);
    });

    it('runs in a fresh temporary directory that is removed afterwards', async () => {
      const first = await runScript('pwd; echo "$HOME"; touch left-behind; ls -A');
      const [cwd, home, listing] = first.stdout.split('\n');
      expect(cwd).toBe(home);
      expect(listing).toBe('left-behind');
      expect(existsSync(cwd)).toBe(false);

      const second = await runScript('pwd; ls -A');
      const [cwd2, listing2] = second.stdout.split('\n');
      expect(cwd2).not.toBe(cwd);
      expect(listing2).toBe('');
      expect(existsSync(cwd2)).toBe(false);
    });

    it('reports a non-zero exit as failed, with its code and stderr', async () => {
      const res = await runScript('echo partial; echo "went wrong" >&2; exit 3', {}, alice.token);
      expect(res).toMatchObject({
        status: 'failed',
        exit_code: 3,
        stdout: 'partial\n',
        stderr: 'went wrong\n',
        output_truncated: false,
      });

      const missing = await runScript('no-such-command-here');
      expect(missing.status).toBe('failed');
      expect(missing.exit_code).toBe(127);
      expect(missing.stderr).toMatch(/not found/);
    });

    it('kills the whole process group on timeout: timed_out, early, and no grandchild survives', async () => {
      const mark = marker();
      const late = join(tmpdir(), `late-${mark}`);
      const script = `(sleep 1; touch ${late}) & (sleep 30; echo ${mark}) & pwd; sleep 30`;
      const started = Date.now();
      const res = await runScript(script, {}, alice.token, { timeout_ms: 500 });
      const elapsed = Date.now() - started;

      expect(res.status).toBe('timed_out');
      expect(res.exit_code).toBeNull();
      const cwd = res.stdout.trim();
      expect(cwd.startsWith('/')).toBe(true);
      expect(existsSync(cwd)).toBe(false);
      expect(elapsed).toBeLessThan(10_000);
      expect(res.duration_ms).toBeGreaterThanOrEqual(450);
      expect(res.duration_ms).toBeLessThan(5000);
      expect(processesWith(mark)).toBe('');

      await sleep(1500);
      expect(existsSync(late)).toBe(false);
      expect(processesWith(mark)).toBe('');
    });

    it('ends a run when its script exits, even if a background process still holds the output; that process goes too', async () => {
      const mark = marker();
      const started = Date.now();
      const res = await runScript(`(sleep 30; echo ${mark}) & echo done`, {}, alice.token);
      expect(res).toMatchObject({ status: 'succeeded', exit_code: 0, stdout: 'done\n' });
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(processesWith(mark)).toBe('');
    });

    it('answers 202 with a Location on ?wait=false, and the run finishes there', async () => {
      const skill = await createSkill({ script: 'sleep 0.5; echo done' });
      const res = await run(skill.name, alice.token, { params: { a: 1 } }, '?wait=false');
      expect(res.status).toBe(202);
      expectRun(res.body);
      expect(['queued', 'running']).toContain(res.body.status);
      expect(res.body).toMatchObject({ skill: skill.name, params: { a: 1 }, stdout: '' });
      expect(res.headers.location).toBe(`${SKILLS}/${skill.name}/runs/${res.body.id}`);

      const done = await h.pollRun(res.headers.location, alice.token);
      expectRun(done);
      expect(done).toMatchObject({ id: res.body.id, status: 'succeeded', stdout: 'done\n' });

      const waited = await run(skill.name, alice.token, {}, '?wait=true');
      expect(waited.status).toBe(200);
      expect(waited.body.status).toBe('succeeded');
    });

    it('refuses ?wait values other than true and false', async () => {
      const skill = await createSkill({ script: 'true' });
      for (const wait of ['maybe', '0', 'yes', '']) {
        expectFieldError(await run(skill.name, alice.token, {}, `?wait=${wait}`), 'wait');
      }
      expect(await runRows(skill.name)).toBe(0);
    });

    it('refuses bad param keys and values with 400 naming params.<key>, and records no run', async () => {
      const skill = await createSkill({ script: 'env' });
      const badKeys = ['1abc', 'a-b', 'has space', 'a'.repeat(65), 'ключ', '', 'a.b', 'a=b'];
      for (const key of badKeys) {
        expectFieldError(
          await run(skill.name, alice.token, { params: { [key]: 'v' } }),
          `params.${key}`,
        );
      }
      for (const value of [{ nested: 'x' }, ['a', 'b'], null]) {
        expectFieldError(
          await run(skill.name, alice.token, { params: { ok: 'fine', bad: value } }),
          'params.bad',
        );
      }
      for (const params of ['a=b', ['a'], 42, null]) {
        expectFieldError(await run(skill.name, alice.token, { params }), 'params');
      }
      const clash = await run(skill.name, alice.token, { params: { a: '1', A: '2' } });
      expectError(clash, 400, 'VALIDATION_ERROR');
      expect(JSON.stringify(clash.body.error.details.fields)).toMatch(/params\.(a|A)/);

      expect(await runRows(skill.name)).toBe(0);
      const ok = await run(skill.name, alice.token, { params: { ['k'.repeat(64)]: 'v' } });
      expect(ok.status).toBe(200);
      expect(ok.body.stdout).toContain(`PARAM_${'K'.repeat(64)}=v`);
    });

    it('refuses a param value that cannot be an environment variable (a NUL character) with a 400', async () => {
      const skill = await createSkill({ script: 'printf "%s" "$PARAM_X"' });
      const res = await run(skill.name, alice.token, { params: { x: 'a\u0000b' } });
      expectFieldError(res, 'params.x');
      expect(await runRows(skill.name)).toBe(0);
    });

    it('never silently drops a param whose key is also an Object.prototype name', async () => {
      const skill = await createSkill({ script: 'env | grep "^PARAM_" | sort; cat' });
      for (const key of ['constructor', 'toString', 'valueOf', 'hasOwnProperty', '__proto__']) {
        // Sent as raw JSON: a JS object literal would turn "__proto__" into a prototype.
        const res = await t
          .http()
          .post(`${SKILLS}/${skill.name}/run`)
          .set('Authorization', `Bearer ${alice.token}`)
          .set('Content-Type', 'application/json')
          .send(`{"params":{"${key}":"v-${key}","plain":"p"}}`);
        if (res.status === 400) {
          expectFieldError(res, `params.${key}`);
          continue;
        }
        expect({ key, status: res.status }).toEqual({ key, status: 200 });
        expect({ key, params: res.body.params }).toEqual({
          key,
          params: JSON.parse(`{"${key}":"v-${key}","plain":"p"}`),
        });
        expect(res.body.stdout).toContain(`PARAM_${key.toUpperCase()}=v-${key}\n`);
      }
    });

    it('stores output that is not valid UTF-8 text (NUL bytes, stray bytes) and still succeeds', async () => {
      const res = await runScript("printf 'a\\000b\\377c'; printf 'x\\000y' >&2");
      expect(res.status).toBe('succeeded');
      expect(res.exit_code).toBe(0);
      expect(res.stdout).toMatch(/^a.*b.*c$/s);
      expect(res.stderr).toMatch(/^x.*y$/s);
    });

    it('shows each user only their own runs; admins see all', async () => {
      const skill = await createSkill({ script: 'echo "$PARAM_WHO"' });
      const mine = async (user: TestUser) => {
        const res = await run(skill.name, user.token, { params: { who: user.email } });
        expect(res.status).toBe(200);
        return res.body as Run;
      };
      const a1 = await mine(alice);
      const a2 = await mine(alice);
      const b1 = await mine(bob);
      const adminRun = await run(skill.name, t.adminToken, { params: { who: 'admin' } });

      const list = async (token: string, query = '') => {
        const res = await call('get', `${SKILLS}/${skill.name}/runs${query}`, token);
        expect(res.status).toBe(200);
        return res.body as { data: Run[]; total: number; limit: number; offset: number };
      };
      const aliceRuns = await list(alice.token);
      expect(aliceRuns).toMatchObject({ total: 2, limit: 50, offset: 0 });
      for (const r of aliceRuns.data) expectRun(r);
      expect(aliceRuns.data.map((r) => r.id)).toEqual([a2.id, a1.id]);
      expect((await list(alice.token, '?order=asc&limit=1')).data.map((r) => r.id)).toEqual([
        a1.id,
      ]);
      expect((await list(alice.token, '?offset=1')).data.map((r) => r.id)).toEqual([a1.id]);
      expect((await list(bob.token)).data.map((r) => r.id)).toEqual([b1.id]);
      const all = await list(t.adminToken);
      expect(all.total).toBe(4);
      expect(all.data.map((r) => r.id).sort()).toEqual(
        [a1.id, a2.id, b1.id, adminRun.body.id].sort(),
      );
      expectError(
        await call('get', `${SKILLS}/${skill.name}/runs?limit=101`, alice.token),
        400,
        'VALIDATION_ERROR',
      );

      const path = `${SKILLS}/${skill.name}/runs/${a1.id}`;
      expectError(await call('get', path, bob.token), 404, 'SKILL_RUN_NOT_FOUND');
      expectError(
        await call('get', `${SKILLS}/${skill.name}/runs/${adminRun.body.id}`, alice.token),
        404,
        'SKILL_RUN_NOT_FOUND',
      );
      const asAdmin = await call('get', path, t.adminToken);
      expect(asAdmin.status).toBe(200);
      expect(asAdmin.body).toEqual(a1);

      const other = await createSkill({ script: 'true' });
      expectError(
        await call('get', `${SKILLS}/${other.name}/runs/${a1.id}`, alice.token),
        404,
        'SKILL_RUN_NOT_FOUND',
      );
      expectError(
        await call('get', `${SKILLS}/${skill.name}/runs/${randomUUID()}`, t.adminToken),
        404,
        'SKILL_RUN_NOT_FOUND',
      );
      for (const id of MALFORMED_IDS) {
        for (const token of [alice.token, t.adminToken]) {
          expectError(
            await call('get', `${SKILLS}/${skill.name}/runs/${id}`, token),
            404,
            'SKILL_RUN_NOT_FOUND',
          );
        }
      }
    });
  });
});

describe('skills: output cap (SKILL_MAX_OUTPUT_BYTES)', () => {
  let t: TestApp;
  const h = harness(() => t);

  beforeAll(async () => {
    t = await startSkillsApp({ SKILL_MAX_OUTPUT_BYTES: '1000' });
  });
  afterAll(() => t?.close());

  it('caps stdout and stderr at 1000 bytes each, marks output_truncated, keeps the status', async () => {
    const res = await h.runScript(
      "head -c 5000 /dev/zero | tr '\\000' a; head -c 5000 /dev/zero | tr '\\000' b >&2",
    );
    expect(res).toMatchObject({
      status: 'succeeded',
      exit_code: 0,
      stdout: 'a'.repeat(1000),
      stderr: 'b'.repeat(1000),
      output_truncated: true,
    });
  });

  it('caps a failing run too, and leaves output at the limit untruncated', async () => {
    const failed = await h.runScript("head -c 3000 /dev/zero | tr '\\000' z >&2; exit 2");
    expect(failed).toMatchObject({ status: 'failed', exit_code: 2, stdout: '' });
    expect(failed.stderr).toBe('z'.repeat(1000));
    expect(failed.output_truncated).toBe(true);

    const exact = await h.runScript("head -c 1000 /dev/zero | tr '\\000' e");
    expect(exact).toMatchObject({ stdout: 'e'.repeat(1000), output_truncated: false });
  });

  it('counts bytes, not characters: multi-byte output stays within the cap', async () => {
    // 600 × "€" is 1800 bytes; the cap falls in the middle of a character.
    const res = await h.runScript(`i=0; while [ $i -lt 600 ]; do printf '€'; i=$((i+1)); done`);
    expect(res.status).toBe('succeeded');
    expect(res.output_truncated).toBe(true);
    expect(Buffer.byteLength(res.stdout, 'utf8')).toBeLessThanOrEqual(1000);
    expect(res.stdout.startsWith('€'.repeat(333))).toBe(true);
  });
});

describe('skills: a short SKILL_RUN_WAIT_MS', () => {
  let t: TestApp;
  let user: TestUser;
  const h = harness(() => t);

  beforeAll(async () => {
    t = await startSkillsApp({ SKILL_RUN_WAIT_MS: '300' });
    user = await createUser(t);
  });
  afterAll(() => t?.close());

  it('answers 202 + Location when the wait ends first; the run succeeds later', async () => {
    const skill = await h.createSkill({ script: 'sleep 2; echo late' });
    const started = Date.now();
    const res = await h.run(skill.name, user.token);
    expect(Date.now() - started).toBeLessThan(1800);
    expect(res.status).toBe(202);
    expectRun(res.body);
    expect(['queued', 'running']).toContain(res.body.status);
    expect(res.headers.location).toBe(`${SKILLS}/${skill.name}/runs/${res.body.id}`);

    const done = await h.pollRun(res.headers.location, user.token);
    expect(done).toMatchObject({ status: 'succeeded', exit_code: 0, stdout: 'late\n' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
  });
});
