import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Response } from 'supertest';

import { createApiKey, createUser, TestUser } from '../factories/users.factory';
import { expectError } from '../support/expect-error';
import { FakeLlm, startFakeLlm } from '../support/fake-llm';
import { spawnServer } from '../support/server-process';
import { startTestApp, TestApp } from '../support/test-app';

const MODELS = '/api/v1/models';
const LOCAL_KEY = 'sk-local-test-key';

interface Model {
  id: string;
  provider: string;
}

async function listModels(t: TestApp, token = t.adminToken): Promise<Model[]> {
  const res = await t.http().get(MODELS).set('Authorization', `Bearer ${token}`);
  expect(res.status).toBe(200);
  expect(Object.keys(res.body)).toEqual(['data']);
  for (const m of res.body.data) expect(Object.keys(m).sort()).toEqual(['id', 'provider']);
  const ids = res.body.data.map((m: Model) => m.id);
  expect(new Set(ids).size).toBe(ids.length);
  return res.body.data;
}

function chat(t: TestApp, token: string, body: Record<string, unknown>): Promise<Response> {
  return t.http().post('/api/v1/chat').set('Authorization', `Bearer ${token}`).send(body);
}

/** A providers file in a fresh directory; YAML or JSON by its extension. */
function writeProvidersFile(name: string, content: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'openclaw-providers-')), name);
  writeFileSync(path, content);
  return path;
}

interface FileProvider {
  name: string;
  base_url?: string;
  api_key_env?: string;
  models: (string | Record<string, unknown>)[];
}

const jsonFile = (providers: FileProvider[]) =>
  writeProvidersFile('providers.json', JSON.stringify({ providers }));

function yamlFile(p: Required<FileProvider>): string {
  return writeProvidersFile(
    'providers.yaml',
    [
      'providers:',
      `  - name: ${p.name}`,
      `    base_url: ${p.base_url}`,
      `    api_key_env: ${p.api_key_env}`,
      '    models:',
      ...p.models.map((m) => `      - ${m}`),
      '',
    ].join('\n'),
  );
}

describe('models (SPEC §5) with nothing configured', () => {
  let t: TestApp;
  let user: TestUser;

  beforeAll(async () => {
    t = await startTestApp();
    user = await createUser(t);
  });
  afterAll(() => t.close());

  it('lists only the echo model', async () => {
    expect(await listModels(t)).toEqual([{ id: 'echo', provider: 'echo' }]);
  });

  it('is open to any user, with a JWT or an API key', async () => {
    const key = await createApiKey(t, user.token);
    expect(await listModels(t, user.token)).toEqual([{ id: 'echo', provider: 'echo' }]);
    expect(await listModels(t, key)).toEqual([{ id: 'echo', provider: 'echo' }]);
  });

  it('requires authentication', async () => {
    expectError(await t.http().get(MODELS), 401, 'UNAUTHORIZED');
    expectError(
      await t
        .http()
        .get(MODELS)
        .set('Authorization', 'Bearer oc_not-a-real-key-000000000000000000'),
      401,
      'INVALID_API_KEY',
    );
  });

  it('chats with echo by default', async () => {
    const res = await chat(t, user.token, { message: 'ping' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ response: 'ping', model: 'echo' });
  });

  it.each([
    ['deepseek-chat', /DEEPSEEK_API_KEY/],
    ['gpt-4o', /OPENAI_API_KEY/],
    ['llama-3', /./],
  ])('refuses to chat with the unlisted model %s: 404 MODEL_NOT_FOUND', async (model, names) => {
    const res = await chat(t, user.token, { message: 'hi', model });
    expectError(res, 404, 'MODEL_NOT_FOUND');
    expect(res.body.error.message).toMatch(names);
  });
});

describe('models with DEEPSEEK_API_KEY', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ DEEPSEEK_API_KEY: 'sk-test' });
  });
  afterAll(() => t.close());

  it('lists deepseek-chat and deepseek-reasoner from the deepseek provider, and echo', async () => {
    const models = await listModels(t);
    expect(models).toEqual(
      expect.arrayContaining([
        { id: 'deepseek-chat', provider: 'deepseek' },
        { id: 'deepseek-reasoner', provider: 'deepseek' },
        { id: 'echo', provider: 'echo' },
      ]),
    );
    expect(models.filter((m) => m.provider === 'openai')).toEqual([]);
    expect(models).toHaveLength(3);
  });
});

describe('models with OPENAI_API_KEY', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ OPENAI_API_KEY: 'sk-x' });
  });
  afterAll(() => t.close());

  it('lists gpt-4o and the other OpenAI models, and echo', async () => {
    const models = await listModels(t);
    expect(models).toEqual(
      expect.arrayContaining([
        { id: 'gpt-4o', provider: 'openai' },
        { id: 'gpt-4o-mini', provider: 'openai' },
        { id: 'echo', provider: 'echo' },
      ]),
    );
    expect(models.filter((m) => m.provider === 'deepseek')).toEqual([]);
    expect(models.every((m) => ['openai', 'echo'].includes(m.provider))).toBe(true);
  });
});

describe('models with ECHO_MODEL=false', () => {
  let t: TestApp;
  let user: TestUser;

  beforeAll(async () => {
    t = await startTestApp({ ECHO_MODEL: 'false' });
    user = await createUser(t);
  });
  afterAll(() => t.close());

  it('lists no model at all', async () => {
    expect(await listModels(t)).toEqual([]);
  });

  it('answers a chat without a model with 404 MODEL_NOT_FOUND saying what to set, storing nothing', async () => {
    const res = await chat(t, user.token, { message: 'hello?' });
    expectError(res, 404, 'MODEL_NOT_FOUND');
    expect(res.body.error.message).toMatch(/ECHO_MODEL|DEEPSEEK_API_KEY|OPENAI_API_KEY/);

    const echo = await chat(t, user.token, { message: 'hello?', model: 'echo' });
    expectError(echo, 404, 'MODEL_NOT_FOUND');

    const sessions = await t
      .http()
      .get('/api/v1/sessions')
      .set('Authorization', `Bearer ${user.token}`);
    expect(sessions.body.total).toBe(0);
  });

  it('refuses echo as a session model', async () => {
    const res = await t
      .http()
      .post('/api/v1/sessions')
      .set('Authorization', `Bearer ${user.token}`)
      .send({ model: 'echo' });
    expectError(res, 404, 'MODEL_NOT_FOUND');
  });
});

describe('models from PROVIDERS_FILE', () => {
  let llm: FakeLlm;

  beforeAll(async () => {
    llm = await startFakeLlm();
  });
  beforeEach(() => llm.reset());
  afterAll(() => llm.close());

  // A function: the fake server's address is known only once it has started.
  const local = (): Required<FileProvider> => ({
    name: 'local',
    base_url: llm.baseURL,
    api_key_env: 'LOCAL_LLM_API_KEY',
    models: ['llama-3'],
  });

  describe('JSON, with its key variable unset', () => {
    let t: TestApp;
    let user: TestUser;

    beforeAll(async () => {
      t = await startTestApp({ PROVIDERS_FILE: jsonFile([local()]) });
      user = await createUser(t);
    });
    afterAll(() => t.close());

    it('does not list the model', async () => {
      expect(await listModels(t)).toEqual([{ id: 'echo', provider: 'echo' }]);
    });

    it('answers a chat with it with 404 MODEL_NOT_FOUND naming LOCAL_LLM_API_KEY, calling nobody', async () => {
      const res = await chat(t, user.token, { message: 'hi', model: 'llama-3' });
      expectError(res, 404, 'MODEL_NOT_FOUND');
      expect(res.body.error.message).toMatch(/LOCAL_LLM_API_KEY/);
      expect(llm.requests).toHaveLength(0);
    });
  });

  describe.each([
    ['JSON', () => jsonFile([local()])],
    ['YAML', () => yamlFile(local())],
  ])('%s, with its key variable set', (_format, file) => {
    let t: TestApp;
    let user: TestUser;

    beforeAll(async () => {
      t = await startTestApp({ PROVIDERS_FILE: file(), LOCAL_LLM_API_KEY: LOCAL_KEY });
      user = await createUser(t);
    });
    afterAll(() => t.close());

    it('lists the model with its provider name', async () => {
      expect(await listModels(t)).toEqual(
        expect.arrayContaining([
          { id: 'llama-3', provider: 'local' },
          { id: 'echo', provider: 'echo' },
        ]),
      );
    });

    it('sends a chat with it to the provider’s base URL with "Bearer <key>"', async () => {
      llm.behave({ reply: 'Hi from llama' });
      const res = await chat(t, user.token, { message: 'hello llama', model: 'llama-3' });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ response: 'Hi from llama', model: 'llama-3' });
      expect(llm.requests).toHaveLength(1);
      const sent = llm.requests[0];
      expect(sent.path).toBe('/v1/chat/completions');
      expect(sent.headers.authorization).toBe(`Bearer ${LOCAL_KEY}`);
      expect(sent.body.model).toBe('llama-3');
      expect(sent.body.messages.at(-1)).toEqual({ role: 'user', content: 'hello llama' });
    });
  });

  describe('an entry without api_key_env', () => {
    let t: TestApp;
    let user: TestUser;

    beforeAll(async () => {
      t = await startTestApp({
        PROVIDERS_FILE: jsonFile([{ name: 'ollama', base_url: llm.baseURL, models: ['qwen2'] }]),
      });
      user = await createUser(t);
    });
    afterAll(() => t.close());

    it('is usable with no key', async () => {
      expect(await listModels(t)).toEqual(
        expect.arrayContaining([{ id: 'qwen2', provider: 'ollama' }]),
      );
      const res = await chat(t, user.token, { message: 'no key needed', model: 'qwen2' });
      expect(res.status).toBe(200);
      expect(llm.requests).toHaveLength(1);
      expect(llm.requests[0].body.model).toBe('qwen2');
    });
  });

  describe('a key variable with any name the file gives', () => {
    let t: TestApp;
    let user: TestUser;

    beforeAll(async () => {
      t = await startTestApp({
        PROVIDERS_FILE: jsonFile([{ ...local(), api_key_env: 'LOCAL_LLM_SECRET' }]),
        LOCAL_LLM_SECRET: 'sk-secret-by-another-name',
      });
      user = await createUser(t);
    });
    afterAll(() => t.close());

    it('makes the model usable once that variable is set', async () => {
      expect(await listModels(t)).toEqual(
        expect.arrayContaining([{ id: 'llama-3', provider: 'local' }]),
      );
      const res = await chat(t, user.token, { message: 'hi', model: 'llama-3' });
      expect(res.status).toBe(200);
      expect(llm.requests[0]?.headers.authorization).toBe('Bearer sk-secret-by-another-name');
    });
  });
});

/** Exit code 1 with one line on stderr naming the variable and the file, and no stack trace anywhere. */
async function expectStartupFailure(
  path: string,
  pattern: RegExp,
  variable: 'PROVIDERS_FILE' | 'PRICES_FILE' = 'PROVIDERS_FILE',
): Promise<void> {
  const server = spawnServer({ [variable]: path });
  let stderr = '';
  server.proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const { code, ms } = await server.exited;
  expect(code).toBe(1);
  expect(ms).toBeLessThan(10_000);
  const output = server.output();
  expect(output).not.toMatch(/\n\s+at /);
  expect(output).not.toMatch(/ExceptionHandler/);
  const lines = stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toContain(variable);
  expect(lines[0]).toContain(path);
  expect(lines[0]).toMatch(pattern);
}

describe('a bad PROVIDERS_FILE stops the built server (run `npm run build` first)', () => {
  it('exits for a missing file', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'openclaw-providers-')), 'missing.json');
    await expectStartupFailure(path, /./);
  });

  it('exits for invalid JSON', async () => {
    await expectStartupFailure(writeProvidersFile('broken.json', '{"providers": ['), /./);
  });

  it('exits for an entry without base_url', async () => {
    const path = jsonFile([{ name: 'local', api_key_env: 'LOCAL_LLM_API_KEY', models: ['x'] }]);
    await expectStartupFailure(path, /base_url/);
  });

  it('exits for a model priced with a string', async () => {
    const path = jsonFile([
      { name: 'local', base_url: 'http://127.0.0.1:9/v1', models: [{ id: 'm', input_price: 'x' }] },
    ]);
    await expectStartupFailure(path, /model .*m.*input_price.* must be a number/);
  });
});

describe('a bad PRICES_FILE stops the built server (run `npm run build` first)', () => {
  it('exits for a model without an output_price', async () => {
    const path = writeProvidersFile('prices.yaml', 'gpt-4o:\n  input_price: 2.5\n');
    await expectStartupFailure(path, /gpt-4o.*output_price.* must be a number/, 'PRICES_FILE');
  });

  it('exits for a missing file', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'openclaw-prices-')), 'missing.json');
    await expectStartupFailure(path, /ENOENT/, 'PRICES_FILE');
  });
});
