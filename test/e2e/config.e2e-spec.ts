import type { Response } from 'supertest';

import { AppConfigService } from '../../src/app-config/app-config.service';
import { AppConfigEntity } from '../../src/app-config/entities/app-config.entity';
import type { Env } from '../../src/core/env/env';
import { createApiKey, createUser, TestUser } from '../factories/users.factory';
import { expectError } from '../support/expect-error';
import { FakeLlm, startFakeLlm } from '../support/fake-llm';
import { startApp, startTestApp, TestApp } from '../support/test-app';
import { testEnv } from '../support/test-env';
import { sleep } from '../support/wait';

const CONFIG = '/api/v1/config';
const CONFIG_FIELDS = ['default_user_quota', 'max_tokens', 'model', 'system_prompt', 'temperature'];

interface Config {
  model: string;
  temperature: number;
  max_tokens: number;
  system_prompt: string;
}

function expectConfig(body: Config): void {
  expect(Object.keys(body).sort()).toEqual(CONFIG_FIELDS);
  expect(typeof body.model).toBe('string');
  expect(body.temperature).toBeGreaterThanOrEqual(0);
  expect(body.temperature).toBeLessThanOrEqual(2);
  expect(Number.isInteger(body.max_tokens) && body.max_tokens >= 1).toBe(true);
  expect(typeof body.system_prompt).toBe('string');
}

function getConfig(t: TestApp, token: string): Promise<Response> {
  return t.http().get(CONFIG).set('Authorization', `Bearer ${token}`);
}

function patchConfig(t: TestApp, token: string, body: unknown): Promise<Response> {
  return t
    .http()
    .patch(CONFIG)
    .set('Authorization', `Bearer ${token}`)
    .send(body as object);
}

describe('config (SPEC §7) with no provider configured', () => {
  let env: Env;
  let t: TestApp;
  let user: TestUser;
  let defaults: Config;

  /** The config as an admin reads it now. */
  async function current(): Promise<Config> {
    const res = await getConfig(t, t.adminToken);
    expect(res.status).toBe(200);
    return res.body;
  }

  beforeAll(async () => {
    env = testEnv();
    t = await startApp(env);
    user = await createUser(t);
    defaults = await current();
  });
  afterAll(() => t.close());

  describe('GET /config', () => {
    it('answers the defaults: the echo model and no system prompt', () => {
      expectConfig(defaults);
      expect(defaults.model).toBe('echo');
      expect(defaults.system_prompt).toBe('');
    });

    it('is readable by any user, with a JWT or an API key', async () => {
      const key = await createApiKey(t, user.token);
      for (const token of [user.token, key]) {
        const res = await getConfig(t, token);
        expect(res.status).toBe(200);
        expect(res.body).toEqual(defaults);
      }
    });

    it('requires authentication', async () => {
      expectError(await t.http().get(CONFIG), 401, 'UNAUTHORIZED');
      expectError(await t.http().patch(CONFIG).send({ temperature: 1 }), 401, 'UNAUTHORIZED');
    });
  });

  describe('PATCH /config: refusals change nothing', () => {
    it('is for admins only: a user gets 403 FORBIDDEN, with a JWT or an API key', async () => {
      const before = await current();
      const key = await createApiKey(t, user.token);
      for (const token of [user.token, key]) {
        const res = await patchConfig(t, token, { temperature: 1.5, system_prompt: 'pwned' });
        expectError(res, 403, 'FORBIDDEN');
      }
      expect(await current()).toEqual(before);
    });

    it('answers the seed example with 404 MODEL_NOT_FOUND naming OPENAI_API_KEY when it is unset', async () => {
      const before = await current();
      const res = await patchConfig(t, t.adminToken, { model: 'gpt-4o', temperature: 0.7 });
      expectError(res, 404, 'MODEL_NOT_FOUND');
      expect(res.body.error.message).toMatch(/OPENAI_API_KEY/);
      expect(await current()).toEqual(before);
    });

    it.each([['no-such-model'], ['deepseek-chat']])(
      'answers the unusable model %s with 404 MODEL_NOT_FOUND',
      async (model) => {
        const before = await current();
        const res = await patchConfig(t, t.adminToken, { model, temperature: 1.1 });
        expectError(res, 404, 'MODEL_NOT_FOUND');
        expect(await current()).toEqual(before);
      },
    );

    it.each([
      ['temperature -0.1', { temperature: -0.1 }, 'temperature'],
      ['temperature 2.1', { temperature: 2.1 }, 'temperature'],
      ['temperature "hot"', { temperature: 'hot' }, 'temperature'],
      ['temperature "1"', { temperature: '1' }, 'temperature'],
      ['temperature null', { temperature: null }, 'temperature'],
      ['max_tokens 0', { max_tokens: 0 }, 'max_tokens'],
      ['max_tokens -5', { max_tokens: -5 }, 'max_tokens'],
      ['max_tokens 1.5', { max_tokens: 1.5 }, 'max_tokens'],
      ['max_tokens "100"', { max_tokens: '100' }, 'max_tokens'],
      ['max_tokens null', { max_tokens: null }, 'max_tokens'],
      ['model ""', { model: '' }, 'model'],
      ['model 5', { model: 5 }, 'model'],
      ['model null', { model: null }, 'model'],
      ['system_prompt 5', { system_prompt: 5 }, 'system_prompt'],
      ['system_prompt null', { system_prompt: null }, 'system_prompt'],
      ['an unknown field', { temperature: 1, top_p: 0.5 }, 'top_p'],
      ['one bad field among good ones', { temperature: 1.9, max_tokens: 0 }, 'max_tokens'],
    ])('rejects %s with 400 VALIDATION_ERROR', async (_label, body, field) => {
      const before = await current();
      const res = await patchConfig(t, t.adminToken, body);
      expectError(res, 400, 'VALIDATION_ERROR');
      expect(res.body.error.details.fields).toEqual(
        expect.arrayContaining([{ field, message: expect.any(String) }]),
      );
      expect(await current()).toEqual(before);
    });

    it('rejects a body that is not an object', async () => {
      const before = await current();
      const res = await t
        .http()
        .patch(CONFIG)
        .set('Authorization', `Bearer ${t.adminToken}`)
        .set('Content-Type', 'application/json')
        .send('[1]');
      expectError(res, 400, 'VALIDATION_ERROR');
      expect(await current()).toEqual(before);
    });
  });

  describe('PATCH /config: changes', () => {
    it('answers the new config, changing only the fields sent', async () => {
      const before = await current();
      const res = await patchConfig(t, t.adminToken, { temperature: 1.25 });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ ...before, temperature: 1.25 });
      expect(await current()).toEqual(res.body);
      const seen = await getConfig(t, user.token);
      expect(seen.body).toEqual(res.body);
    });

    it('accepts the edges: temperature 0 and 2, max_tokens 1', async () => {
      for (const body of [{ temperature: 0 }, { temperature: 2 }, { max_tokens: 1 }]) {
        const res = await patchConfig(t, t.adminToken, body);
        expect(res.status).toBe(200);
        expect(res.body).toMatchObject(body);
      }
    });

    it('sets every field at once, and an empty system_prompt removes it', async () => {
      const all = {
        model: 'echo',
        temperature: 0.4,
        max_tokens: 512,
        system_prompt: 'Be brief.',
        default_user_quota: { tokens_per_day: 100, tokens_per_month: null, cost_per_month_usd: 2 },
      };
      const res = await patchConfig(t, t.adminToken, all);
      expect(res.status).toBe(200);
      expect(res.body).toEqual(all);

      const cleared = await patchConfig(t, t.adminToken, { system_prompt: '' });
      expect(cleared.status).toBe(200);
      expect(cleared.body).toEqual({ ...all, system_prompt: '' });
    });

    it('is read once by concurrent requests, and a read begun before a change does not hide it', async () => {
      const config = t.app.get(AppConfigService);
      const repo = t.db.getRepository(AppConfigEntity);
      const original = repo.findOneBy.bind(repo);
      const reads = jest.spyOn(repo, 'findOneBy');
      try {
        await sleep(600); // past the copy's lifetime
        const shared = await Promise.all(Array.from({ length: 20 }, () => config.get()));
        expect(reads).toHaveBeenCalledTimes(1);
        expect(new Set(shared.map((c) => c.max_tokens)).size).toBe(1);

        // A read that stays under way while a change is committed and answered.
        await sleep(600);
        let release!: () => void;
        const held = new Promise<void>((resolve) => (release = resolve));
        // It has read the row before the change and answers after it.
        reads.mockImplementationOnce(async (where) => {
          const row = await original(where);
          await held;
          return row;
        });
        const early = config.get();
        const changed = await patchConfig(t, t.adminToken, { max_tokens: 777 });
        expect(changed.status).toBe(200);
        const after = config.get();
        release();
        expect((await after).max_tokens).toBe(777);
        await early;
        expect((await current()).max_tokens).toBe(777);
      } finally {
        reads.mockRestore();
      }
    });

    it('is stored in the database: a second app on the same database sees it', async () => {
      const res = await patchConfig(t, t.adminToken, {
        temperature: 1.5,
        max_tokens: 321,
        system_prompt: 'Stored prompt',
      });
      expect(res.status).toBe(200);

      const other = await startApp(env, { reset: false });
      try {
        const seen = await getConfig(other, other.adminToken);
        expect(seen.status).toBe(200);
        expect(seen.body).toEqual(res.body);

        // A change made on the other replica reaches this one within a second.
        const changed = await patchConfig(other, other.adminToken, { max_tokens: 654 });
        expect(changed.status).toBe(200);
        const deadline = Date.now() + 1000;
        let here: Config = await current();
        while (here.max_tokens !== 654 && Date.now() < deadline) {
          await sleep(50);
          here = await current();
        }
        expect(here).toEqual(changed.body);
      } finally {
        await other.close();
      }
    });
  });
});

describe('config with DeepSeek configured', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ DEEPSEEK_API_KEY: 'sk-test' });
  });
  afterAll(() => t.close());

  it('defaults to deepseek-chat', async () => {
    const res = await getConfig(t, t.adminToken);
    expect(res.status).toBe(200);
    expectConfig(res.body);
    expect(res.body.model).toBe('deepseek-chat');
  });
});

describe('config with an OpenAI provider (fake LLM)', () => {
  let llm: FakeLlm;
  let t: TestApp;
  let user: TestUser;

  async function chat(message: string) {
    const res = await t
      .http()
      .post('/api/v1/chat')
      .set('Authorization', `Bearer ${user.token}`)
      .send({ message });
    expect(res.status).toBe(200);
    return res.body as { model: string; response: string };
  }

  beforeAll(async () => {
    llm = await startFakeLlm();
    t = await startTestApp({ OPENAI_API_KEY: 'sk-x', OPENAI_BASE_URL: llm.baseURL });
    user = await createUser(t);
  });
  beforeEach(() => llm.reset());
  afterAll(async () => {
    await t.close();
    await llm.close();
  });

  it('accepts the seed example {"model":"gpt-4o","temperature":0.7} with 200', async () => {
    const before = (await getConfig(t, t.adminToken)).body;
    const res = await patchConfig(t, t.adminToken, { model: 'gpt-4o', temperature: 0.7 });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ...before, model: 'gpt-4o', temperature: 0.7 });
    expect(llm.requests).toHaveLength(0);
  });

  it('drives the next chat: model, temperature, max_tokens and the system prompt', async () => {
    const settings = {
      model: 'gpt-4o',
      temperature: 0.3,
      max_tokens: 77,
      system_prompt: 'You are a terse assistant.',
    };
    const res = await patchConfig(t, t.adminToken, settings);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ...settings, default_user_quota: null });

    const reply = await chat('What is the capital of France?');
    expect(reply.model).toBe('gpt-4o');
    expect(llm.requests).toHaveLength(1);
    const sent = llm.requests[0];
    expect(sent.headers.authorization).toBe('Bearer sk-x');
    expect(sent.body).toMatchObject({ model: 'gpt-4o', temperature: 0.3, max_tokens: 77 });
    expect(sent.body.messages).toEqual([
      { role: 'system', content: 'You are a terse assistant.' },
      { role: 'user', content: 'What is the capital of France?' },
    ]);
  });

  it('sends no system message once system_prompt is set to ""', async () => {
    const set = await patchConfig(t, t.adminToken, { system_prompt: 'Temporary prompt' });
    expect(set.status).toBe(200);
    const res = await patchConfig(t, t.adminToken, { system_prompt: '' });
    expect(res.status).toBe(200);
    expect(res.body.system_prompt).toBe('');

    await chat('No prompt now');
    expect(llm.requests).toHaveLength(1);
    expect(llm.requests[0].body.messages).toEqual([{ role: 'user', content: 'No prompt now' }]);
    expect(llm.requests[0].body).toMatchObject({ model: 'gpt-4o', max_tokens: 77 });
  });

  it('sends nothing upstream for a refused change, and the old settings stay in force', async () => {
    const before = (await getConfig(t, t.adminToken)).body;
    expectError(await patchConfig(t, user.token, { temperature: 1.9 }), 403, 'FORBIDDEN');
    expectError(await patchConfig(t, t.adminToken, { temperature: 9 }), 400, 'VALIDATION_ERROR');
    await chat('Still the same');
    expect(llm.requests[0].body).toMatchObject({
      model: before.model,
      temperature: before.temperature,
      max_tokens: before.max_tokens,
    });
  });
});
