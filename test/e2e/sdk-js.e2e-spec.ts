import { execFile } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { UsageRecordsRepository } from '../../src/usage/usage-records.repository';
import { createApiKey, createUser, TestUser, userAttrs } from '../factories/users.factory';
import { FakeLlm, startFakeLlm } from '../support/fake-llm';
import { MESSAGE_FIELDS, UUID } from '../support/matchers';
import { serverUrl } from '../support/sse';
import { startTestApp, TestApp } from '../support/test-app';
import { ADMIN_EMAIL, ADMIN_PASSWORD } from '../support/test-env';
import { sleep, until } from '../support/wait';
import { startTrackedReceiver, WebhookReceiver } from '../support/webhook-receiver';

// The SDK under test is the BUILT package (`npm run build:sdk`, which `pretest` runs): its CommonJS
// build is loaded here, its ES module build by child processes below. Types come from its source.
type Sdk = typeof import('../../sdk/js/src/index');
type Client = InstanceType<Sdk['OpenClaw']>;
type SdkError = InstanceType<Sdk['OpenClawError']>;

const SDK_DIR = join(__dirname, '..', '..', 'sdk', 'js');
const REPO_DIR = join(__dirname, '..', '..');
const run = promisify(execFile);
const FAKE_MODEL = 'gpt-4o-mini';

let sdk: Sdk;

async function loadSdk(): Promise<Sdk> {
  // A computed path: the build may not exist when the repository is type-checked.
  return (await import(join(SDK_DIR, 'dist', 'cjs', 'index.js'))) as Sdk;
}

/** The OpenClawError a call fails with; fails the test if it succeeds or throws something else. */
async function failure(call: Promise<unknown>): Promise<SdkError> {
  try {
    await call;
  } catch (err) {
    expect(err).toBeInstanceOf(sdk.OpenClawError);
    return err as SdkError;
  }
  throw new Error('expected the call to fail');
}

async function expectApiError(call: Promise<unknown>, status: number, code: string) {
  const err = await failure(call);
  expect({ status: err.status, code: err.code }).toEqual({ status, code });
  expect(typeof err.message).toBe('string');
  return err;
}

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

interface LocalServer {
  baseURL: string;
  requests: Seen[];
  close(): Promise<void>;
}

/** A tiny HTTP server on 127.0.0.1 scripting answers, to test the client's own logic. */
async function localServer(
  handle: (req: Seen, res: ServerResponse, n: number, raw: IncomingMessage) => void,
): Promise<LocalServer> {
  const requests: Seen[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      const seen = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body,
        at: Date.now(),
      };
      requests.push(seen);
      handle(seen, res, requests.length, req);
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/api/v1`,
    requests,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

const json = (res: ServerResponse, status: number, body: unknown, headers = {}) => {
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
};
const envelope = (code: string) => ({ error: { code, message: code, details: {} } });

/** Runs `fn` with these environment variables set (undefined: unset), then restores them. */
async function withEnv<T>(vars: Record<string, string | undefined>, fn: () => T | Promise<T>) {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  const apply = (values: Record<string, string | undefined>) => {
    for (const [k, v] of Object.entries(values)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  apply(vars);
  try {
    return await fn();
  } finally {
    apply(saved);
  }
}

/** The Standard Webhooks signature, computed independently of the SDK. */
function sign(secret: string, id: string, timestamp: number, body: string): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const mac = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64');
  return `v1,${mac}`;
}

describe('openclaw-sdk (SPEC §12) against the real server', () => {
  let t: TestApp;
  let llm: FakeLlm;
  let baseURL: string;
  let admin: Client;
  let alice: Client;
  let bob: Client;
  let aliceUser: TestUser;
  let bobUser: TestUser;
  const receivers: WebhookReceiver[] = [];

  beforeAll(async () => {
    sdk = await loadSdk();
    llm = await startFakeLlm();
    t = await startTestApp({
      OPENAI_API_KEY: 'sk-fake',
      OPENAI_BASE_URL: llm.baseURL,
      UPSTREAM_MAX_RETRIES: '0',
      SSE_PING_INTERVAL_MS: '200',
      SKILL_RUN_WAIT_MS: '15000',
      WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
      WEBHOOK_RETRY_SCHEDULE: '300ms,300ms,300ms',
      WEBHOOK_RECONCILE_INTERVAL_MS: '500',
      WEBHOOK_TIMEOUT_MS: '2000',
    });
    baseURL = `${serverUrl(t.app.getHttpServer())}/api/v1`;
    const token = await new sdk.OpenClaw({ baseURL }).auth.login({
      email: ADMIN_EMAIL,
      password: ADMIN_PASSWORD,
    });
    admin = new sdk.OpenClaw({ apiKey: token.access_token, baseURL });
    aliceUser = await createUser(t);
    bobUser = await createUser(t);
    alice = new sdk.OpenClaw({ apiKey: await createApiKey(t, aliceUser.token), baseURL });
    bob = new sdk.OpenClaw({ apiKey: await createApiKey(t, bobUser.token), baseURL });
  }, 60_000);

  afterEach(() => llm.reset());

  afterAll(async () => {
    await Promise.all(receivers.map((r) => r.close()));
    await t?.close();
    await llm?.close();
  });

  describe('client', () => {
    it('defaults to http://localhost:3000/api/v1, 10 minutes and 2 retries', async () => {
      await withEnv({ OPENCLAW_BASE_URL: undefined }, () => {
        const client = new sdk.OpenClaw({ apiKey: 'oc_x' });
        expect(client.baseURL).toBe('http://localhost:3000/api/v1');
        expect(client.timeout).toBe(600_000);
        expect(client.maxRetries).toBe(2);
        expect(new sdk.OpenClaw({ baseURL: 'http://h:1/api/v1//' }).baseURL).toBe(
          'http://h:1/api/v1',
        );
        expect(() => new sdk.OpenClaw({ maxRetries: -1 })).toThrow(TypeError);
        expect(() => new sdk.OpenClaw({ timeout: 0 })).toThrow(TypeError);
      });
    });

    it('falls back to OPENCLAW_API_KEY and OPENCLAW_BASE_URL from the environment', async () => {
      const key = await createApiKey(t, aliceUser.token, 'from env');
      await withEnv({ OPENCLAW_API_KEY: key, OPENCLAW_BASE_URL: baseURL }, async () => {
        const client = new sdk.OpenClaw();
        expect(client.baseURL).toBe(baseURL);
        expect((await client.users.me()).id).toBe(aliceUser.id);
        // Explicit options win over the environment.
        await expectApiError(
          new sdk.OpenClaw({ apiKey: `oc_${'x'.repeat(43)}` }).users.me(),
          401,
          'INVALID_API_KEY',
        );
      });
    });
  });

  describe('auth, API keys and users', () => {
    it('logs in, and a JWT works as the apiKey', async () => {
      const token = await new sdk.OpenClaw({ baseURL }).auth.login({
        email: aliceUser.email.toUpperCase(),
        password: aliceUser.password,
      });
      expect(token).toEqual({
        access_token: expect.any(String),
        token_type: 'Bearer',
        expires_in: expect.any(Number),
      });
      const me = await new sdk.OpenClaw({ apiKey: token.access_token, baseURL }).users.me();
      expect(me).toMatchObject({ id: aliceUser.id, email: aliceUser.email, role: 'user' });

      const wrong = await expectApiError(
        new sdk.OpenClaw({ baseURL }).auth.login({ email: aliceUser.email, password: 'nope-nope' }),
        401,
        'INVALID_CREDENTIALS',
      );
      expect(wrong.requestId).toEqual(expect.any(String));
      expect(wrong.details).toEqual({});
    });

    it('answers 401 INVALID_API_KEY for an unknown key, UNAUTHORIZED without one', async () => {
      const err = await expectApiError(
        new sdk.OpenClaw({ apiKey: `oc_${'a'.repeat(43)}`, baseURL }).sessions.list(),
        401,
        'INVALID_API_KEY',
      );
      expect(err.message).toBe('API key is invalid');
      expect(err.requestId).toEqual(expect.any(String));
      expect(err.headers?.get('content-type')).toMatch(/json/);
      await withEnv({ OPENCLAW_API_KEY: undefined }, () =>
        expectApiError(new sdk.OpenClaw({ baseURL }).users.me(), 401, 'UNAUTHORIZED'),
      );
    });

    it('creates, lists and revokes API keys', async () => {
      const created = await alice.apiKeys.create({ name: 'sdk key' });
      expect(created).toEqual({
        id: expect.stringMatching(UUID),
        name: 'sdk key',
        key: expect.stringMatching(/^oc_/),
        prefix: created.key.slice(0, 12),
        created_at: expect.any(String),
        expires_at: null,
        last_used_at: null,
        rate_limit_per_minute: null,
        models: null,
        tokens_per_day: null,
      });
      const limited = await alice.apiKeys.create({
        name: 'limited',
        rate_limit_per_minute: 5,
        models: ['echo'],
        tokens_per_day: 1000,
      });
      expect(limited).toMatchObject({
        rate_limit_per_minute: 5,
        models: ['echo'],
        tokens_per_day: 1000,
      });
      await expectApiError(
        alice.apiKeys.create({ name: 'bad', models: ['no-such-model'] }),
        400,
        'VALIDATION_ERROR',
      );
      await alice.apiKeys.delete(limited.id);
      const withKey = new sdk.OpenClaw({ apiKey: created.key, baseURL });
      expect((await withKey.users.me()).id).toBe(aliceUser.id);

      const page = await alice.apiKeys.list({ limit: 100, order: 'asc' });
      expect(page).toMatchObject({ limit: 100, offset: 0 });
      const listed = page.data.find((k) => k.id === created.id);
      expect(listed).toMatchObject({ name: 'sdk key', prefix: created.prefix });
      expect(listed).not.toHaveProperty('key');

      await expectApiError(bob.apiKeys.delete(created.id), 404, 'API_KEY_NOT_FOUND');
      await expect(alice.apiKeys.delete(created.id)).resolves.toBeUndefined();
      await expectApiError(withKey.users.me(), 401, 'INVALID_API_KEY');
      await expectApiError(alice.apiKeys.delete(created.id), 404, 'API_KEY_NOT_FOUND');
    });

    it('manages users: create, list, get, update, delete, with the API’s errors', async () => {
      const attrs = userAttrs();
      const user = await admin.users.create({ ...attrs, email: attrs.email.toUpperCase() });
      expect(user).toEqual({
        id: expect.stringMatching(UUID),
        email: attrs.email,
        name: attrs.name,
        role: 'user',
        disabled: false,
        quota: null,
        created_at: expect.any(String),
        updated_at: expect.any(String),
      });
      await expectApiError(admin.users.create(attrs), 409, 'CONFLICT');
      const invalid = await expectApiError(
        admin.users.create({ email: 'not-an-email', password: 'short' }),
        400,
        'VALIDATION_ERROR',
      );
      expect(invalid.details.fields).toEqual(
        expect.arrayContaining([
          { field: 'email', message: expect.any(String) },
          { field: 'password', message: expect.any(String) },
        ]),
      );

      const first = await admin.users.list({ limit: 1, offset: 0, order: 'asc' });
      expect(first.data).toHaveLength(1);
      expect(first.data[0].email).toBe(ADMIN_EMAIL);
      expect(first).toMatchObject({ limit: 1, offset: 0, total: expect.any(Number) });
      expect(first.total).toBeGreaterThanOrEqual(4);
      const newest = await admin.users.list({ limit: 1, order: 'desc' });
      expect(newest.data[0].id).toBe(user.id);

      expect(await admin.users.get(user.id)).toEqual(user);
      expect(await alice.users.get(aliceUser.id)).toMatchObject({ id: aliceUser.id });
      await expectApiError(alice.users.get(user.id), 404, 'USER_NOT_FOUND');
      await expectApiError(alice.users.list(), 403, 'FORBIDDEN');
      await expectApiError(alice.users.update(aliceUser.id, { role: 'admin' }), 403, 'FORBIDDEN');

      await expectApiError(
        alice.users.update(aliceUser.id, { quota: { tokens_per_day: 10 } }),
        403,
        'FORBIDDEN',
      );
      const limited = await admin.users.update(user.id, { quota: { tokens_per_day: 1000 } });
      expect(limited.quota).toEqual({
        tokens_per_day: 1000,
        tokens_per_month: null,
        cost_per_month_usd: null,
      });
      const renamed = await admin.users.update(user.id, { name: '新名字', disabled: true });
      expect(renamed).toMatchObject({ id: user.id, name: '新名字', disabled: true });
      await expect(admin.users.delete(user.id)).resolves.toBeUndefined();
      await expectApiError(admin.users.get(user.id), 404, 'USER_NOT_FOUND');
      await expectApiError(admin.users.delete('not-a-uuid'), 404, 'USER_NOT_FOUND');
    });
  });

  describe('models and config', () => {
    it('lists the usable models', async () => {
      const models = await alice.models.list();
      expect(models.data).toEqual(
        expect.arrayContaining([
          { id: 'echo', provider: 'echo' },
          { id: FAKE_MODEL, provider: 'openai' },
        ]),
      );
    });

    it('reads and (as an admin) updates the config', async () => {
      const before = await alice.config.get();
      expect(before).toEqual({
        model: 'echo',
        temperature: expect.any(Number),
        max_tokens: expect.any(Number),
        system_prompt: expect.any(String),
        default_user_quota: null,
      });
      const updated = await admin.config.update({ temperature: 0.3, max_tokens: 512 });
      expect(updated).toEqual({ ...before, temperature: 0.3, max_tokens: 512 });
      const quota = { tokens_per_day: null, tokens_per_month: 90_000, cost_per_month_usd: 5 };
      const withQuota = await admin.config.update({ default_user_quota: quota });
      expect(withQuota.default_user_quota).toEqual(quota);
      expect((await admin.config.update({ default_user_quota: null })).default_user_quota).toBe(
        null,
      );
      expect(await alice.config.get()).toEqual(updated);
      await expectApiError(alice.config.update({ temperature: 1 }), 403, 'FORBIDDEN');
      await expectApiError(admin.config.update({ model: 'no-such-model' }), 404, 'MODEL_NOT_FOUND');
      const bad = await expectApiError(
        admin.config.update({ temperature: 5 }),
        400,
        'VALIDATION_ERROR',
      );
      expect(bad.details.fields).toEqual([{ field: 'temperature', message: expect.any(String) }]);
      await admin.config.update({ temperature: before.temperature, max_tokens: before.max_tokens });
    });
  });

  describe('chat', () => {
    it('answers with every field of the API, in a new or a given session', async () => {
      const reply = await alice.chat({ message: '你好' });
      expect(reply).toEqual({
        response: '你好',
        session_id: expect.stringMatching(UUID),
        message_id: expect.stringMatching(UUID),
        model: 'echo',
        tokens: { input: expect.any(Number), output: expect.any(Number) },
      });
      expect(reply.tokens.input).toBeGreaterThan(0);
      expect(reply.tokens.output).toBeGreaterThan(0);

      const next = await alice.chat({ message: 'again', session_id: reply.session_id });
      expect(next.session_id).toBe(reply.session_id);
      const messages = await alice.sessions.messages.list(reply.session_id, { order: 'asc' });
      expect(messages.total).toBe(4);
      expect(messages.data.map((m) => [m.role, m.content])).toEqual([
        ['user', '你好'],
        ['assistant', '你好'],
        ['user', 'again'],
        ['assistant', 'again'],
      ]);

      const fake = await alice.chat({ message: 'hi', model: FAKE_MODEL });
      expect(fake).toMatchObject({
        response: 'Hello from the fake model',
        model: FAKE_MODEL,
        tokens: { input: 11, output: 7 },
      });
    });

    it('surfaces the API’s errors', async () => {
      const { session_id } = await alice.chat({ message: 'mine' });
      await expectApiError(bob.chat({ message: 'x', session_id }), 404, 'SESSION_NOT_FOUND');
      await expectApiError(alice.chat({ message: 'x', model: 'nope' }), 404, 'MODEL_NOT_FOUND');
      const empty = await expectApiError(alice.chat({ message: '' }), 400, 'VALIDATION_ERROR');
      expect(empty.details.fields).toEqual([{ field: 'message', message: expect.any(String) }]);
      const unknown = await expectApiError(
        alice.chat({ message: 'x', stream: true } as unknown as { message: string }),
        400,
        'VALIDATION_ERROR',
      );
      expect(unknown.details.fields).toEqual([{ field: 'stream', message: expect.any(String) }]);
      llm.behave({ status: 500 });
      await expectApiError(alice.chat({ message: 'x', model: FAKE_MODEL }), 502, 'UPSTREAM_ERROR');
      // A POST that failed with a 502 is not sent again.
      expect(llm.requests).toHaveLength(1);
    });
  });

  describe('chatStream', () => {
    it('streams the echo reply word by word, then sets usage', async () => {
      const stream = alice.chatStream({ message: 'one two three', model: 'echo' });
      expect(stream.usage).toBeUndefined();
      const chunks: string[] = [];
      for await (const chunk of stream) {
        expect(Object.keys(chunk)).toEqual(['text']);
        chunks.push(chunk.text);
      }
      expect(chunks.length).toBeGreaterThan(1);
      expect(chunks.join('')).toBe('one two three');
      expect(stream.usage).toEqual({
        session_id: expect.stringMatching(UUID),
        message_id: expect.stringMatching(UUID),
        tokens: { input: expect.any(Number), output: expect.any(Number) },
      });
      expect(stream.sessionId).toBe(stream.usage!.session_id);
      expect(stream.requestId).toEqual(expect.any(String));
      const messages = await alice.sessions.messages.list(stream.usage!.session_id);
      expect(messages.data[0]).toMatchObject({
        id: stream.usage!.message_id,
        role: 'assistant',
        content: 'one two three',
        status: 'complete',
      });
      // Awaiting the stream (as with other SDKs) is harmless; it can be read only once.
      const awaited = await alice.chatStream({ message: 'x', session_id: stream.sessionId });
      expect(await awaited.text()).toBe('x');
      expect(() => awaited[Symbol.asyncIterator]()).toThrow(/only once/);
    });

    it('streams a provider’s chunks, across the server’s pings', async () => {
      const parts = ['Spring ', 'sleep ', 'knows ', 'no ', 'dawn'];
      llm.behave({
        chunks: parts,
        chunkDelayMs: 500,
        usage: { prompt_tokens: 5, completion_tokens: 9 },
      });
      // Chunks come 500 ms apart with a 200 ms ping between: a 400 ms idle timeout is never hit.
      const stream = alice.chatStream({ message: 'poem', model: FAKE_MODEL }, { timeout: 400 });
      const chunks: string[] = [];
      for await (const { text } of stream) chunks.push(text);
      expect(chunks).toEqual(parts);
      expect(stream.usage?.tokens).toEqual({ input: 5, output: 9 });
    });

    it('throws the API’s error before the first chunk', async () => {
      const { session_id } = await alice.chat({ message: 'mine' });
      const stream = bob.chatStream({ message: 'x', session_id });
      const err = await expectApiError(stream.text(), 404, 'SESSION_NOT_FOUND');
      expect(err.requestId).toEqual(expect.any(String));
      expect(stream.usage).toBeUndefined();
    });

    it('throws an event: error mid-stream as OpenClawError, after the chunks before it', async () => {
      llm.behave({ chunks: ['a ', 'b ', 'c ', 'd'], dropAfterChunks: 2 });
      const stream = alice.chatStream({ message: 'x', model: FAKE_MODEL });
      const chunks: string[] = [];
      const err = await failure(
        (async () => {
          for await (const { text } of stream) chunks.push(text);
        })(),
      );
      expect(chunks).toEqual(['a ', 'b ']);
      expect(err).toMatchObject({ code: 'UPSTREAM_ERROR', status: 502 });
      expect(stream.usage).toBeUndefined();
      const messages = await alice.sessions.messages.list(stream.sessionId!);
      expect(messages.data[0]).toMatchObject({ content: 'a b ', status: 'incomplete' });
    });

    it('aborts the request when the loop is left early', async () => {
      llm.behave({ chunks: Array.from({ length: 100 }, (_, i) => `w${i} `), chunkDelayMs: 50 });
      const stream = alice.chatStream({ message: 'long', model: FAKE_MODEL });
      const started = Date.now();
      for await (const chunk of stream) {
        expect(chunk.text).toBe('w0 ');
        break;
      }
      expect(Date.now() - started).toBeLessThan(2000);
      // The server saw the client go and aborted its upstream request, long before 100 chunks.
      await until('the upstream request to be aborted', async () =>
        llm.requests[0]?.aborted ? true : undefined,
      );
      const stored = await until('the partial reply to be stored', async () => {
        const page = await alice.sessions.messages.list(stream.sessionId!);
        return page.data.find((m) => m.role === 'assistant');
      });
      expect(stored.status).toBe('incomplete');
      expect(stream.usage).toBeUndefined();
    });

    it('stops with ABORTED when its signal aborts, and with TIMEOUT when no answer comes', async () => {
      llm.behave({ chunks: Array.from({ length: 100 }, (_, i) => `w${i} `), chunkDelayMs: 50 });
      const controller = new AbortController();
      const stream = alice.chatStream(
        { message: 'long', model: FAKE_MODEL },
        { signal: controller.signal },
      );
      const seen: string[] = [];
      const err = await failure(
        (async () => {
          for await (const { text } of stream) {
            seen.push(text);
            if (seen.length === 2) controller.abort();
          }
        })(),
      );
      expect(err).toMatchObject({ code: 'ABORTED', status: 0 });
      expect(seen).toHaveLength(2);

      llm.reset();
      llm.behave({ hang: true });
      const started = Date.now();
      const timedOut = await failure(
        alice.chatStream({ message: 'x', model: FAKE_MODEL }, { timeout: 300 }).text(),
      );
      expect(timedOut).toMatchObject({ code: 'TIMEOUT', status: 0 });
      expect(Date.now() - started).toBeLessThan(2000);
    });
  });

  describe('timeouts and abort signals', () => {
    it('gives up after `timeout` ms with TIMEOUT (a POST is not sent again)', async () => {
      llm.behave({ hang: true });
      const started = Date.now();
      const err = await failure(alice.chat({ message: 'x', model: FAKE_MODEL }, { timeout: 300 }));
      expect(err).toMatchObject({ code: 'TIMEOUT', status: 0 });
      expect(Date.now() - started).toBeLessThan(2000);
      await sleep(100);
      expect(llm.requests).toHaveLength(1);
    });

    it('throws ABORTED when the signal aborts, before or during the call', async () => {
      llm.behave({ hang: true });
      const controller = new AbortController();
      const pending = alice.chat(
        { message: 'x', model: FAKE_MODEL },
        { signal: controller.signal },
      );
      setTimeout(() => controller.abort(), 100);
      expect(await failure(pending)).toMatchObject({ code: 'ABORTED', status: 0 });
      await expect(
        alice.users.me({ signal: AbortSignal.abort() }).catch((e: SdkError) => e.code),
      ).resolves.toBe('ABORTED');
    });
  });

  describe('usage', () => {
    it('reads the caller’s usage report and records; admins read anyone’s', async () => {
      // Written as the completion path writes it, so the test does not depend on which calls record.
      await t.app.get(UsageRecordsRepository).insert({
        userId: aliceUser.id,
        apiKeyId: null,
        model: 'sdk-usage-model',
        provider: 'test',
        endpoint: '/api/v1/chat',
        status: 'complete',
        inputTokens: 12,
        outputTokens: 34,
        costUsd: null,
        latencyMs: 5,
      });
      const report = await alice.usage.get({ group_by: 'model' });
      expect(report).toEqual({
        data: expect.any(Array),
        totals: {
          requests: expect.any(Number),
          input_tokens: expect.any(Number),
          output_tokens: expect.any(Number),
          cost_usd: null,
          unpriced_requests: expect.any(Number),
        },
        from: expect.any(String),
        to: expect.any(String),
        group_by: 'model',
      });
      expect(report.data).toContainEqual({
        key: 'sdk-usage-model',
        requests: 1,
        input_tokens: 12,
        output_tokens: 34,
        cost_usd: null,
        unpriced_requests: 1,
      });
      const page = await alice.usage.listRecords({ limit: 5, model: 'sdk-usage-model' });
      expect(page).toMatchObject({ limit: 5, offset: 0, total: 1 });
      expect(page.data[0]).toMatchObject({
        user_id: aliceUser.id,
        api_key_id: null,
        input_tokens: 12,
        output_tokens: 34,
        cost_usd: null,
      });
      const everyone = await admin.usage.get({ group_by: 'user', from: '2020-01-01' });
      expect(everyone.group_by).toBe('user');
      expect(everyone.from).toBe('2020-01-01T00:00:00.000Z');
      expect(everyone.data.map((g) => g.key)).toContain(aliceUser.id);
      const alices = await admin.usage.listRecords({ user_id: aliceUser.id, limit: 100 });
      expect(alices.data.map((r) => r.user_id)).toContain(aliceUser.id);
      expect(new Set(alices.data.map((r) => r.user_id))).toEqual(new Set([aliceUser.id]));
      await expectApiError(alice.usage.get({ group_by: 'user' }), 403, 'FORBIDDEN');
      await expectApiError(alice.usage.listRecords({ user_id: bobUser.id }), 403, 'FORBIDDEN');
      const bad = await expectApiError(
        alice.usage.get({ from: 'last week' }),
        400,
        'VALIDATION_ERROR',
      );
      expect(bad.details.fields).toEqual([{ field: 'from', message: expect.any(String) }]);
    });
  });

  describe('sessions and messages', () => {
    it('creates, lists, gets, updates and deletes sessions', async () => {
      const session = await alice.sessions.create({ name: '我的会话', model: 'echo' });
      expect(session).toEqual({
        id: expect.stringMatching(UUID),
        name: '我的会话',
        model: 'echo',
        created_at: expect.any(String),
        updated_at: expect.any(String),
      });
      expect((await alice.sessions.create()).name).toBe('New session');
      expect(await alice.sessions.get(session.id)).toEqual(session);
      const page = await alice.sessions.list({ limit: 1, order: 'desc' });
      expect(page.limit).toBe(1);
      expect(page.data).toHaveLength(1);
      expect(page.total).toBeGreaterThanOrEqual(2);
      const asc = await alice.sessions.list({ limit: 100, order: 'asc' });
      expect(asc.data.map((s) => s.id)).toContain(session.id);
      expect((await bob.sessions.list()).data.map((s) => s.id)).not.toContain(session.id);

      const updated = await alice.sessions.update(session.id, { name: 'renamed' });
      expect(updated).toMatchObject({ id: session.id, name: 'renamed', model: 'echo' });
      await expectApiError(
        alice.sessions.update(session.id, { model: 'nope' }),
        404,
        'MODEL_NOT_FOUND',
      );
      await expectApiError(bob.sessions.get(session.id), 404, 'SESSION_NOT_FOUND');
      await expectApiError(
        bob.sessions.update(session.id, { name: 'x' }),
        404,
        'SESSION_NOT_FOUND',
      );
      await expectApiError(bob.sessions.delete(session.id), 404, 'SESSION_NOT_FOUND');
      await expectApiError(bob.sessions.messages.list(session.id), 404, 'SESSION_NOT_FOUND');
      await expectApiError(alice.sessions.get('not-a-uuid'), 404, 'SESSION_NOT_FOUND');
      const range = await expectApiError(
        alice.sessions.list({ limit: 500 }),
        400,
        'VALIDATION_ERROR',
      );
      expect(range.details.fields).toEqual([{ field: 'limit', message: expect.any(String) }]);

      await expect(alice.sessions.delete(session.id)).resolves.toBeUndefined();
      await expectApiError(alice.sessions.get(session.id), 404, 'SESSION_NOT_FOUND');
    });

    it('lists messages in both orders with paging, and deletes one', async () => {
      const { session_id } = await alice.chat({ message: 'first' });
      await alice.chat({ message: 'second', session_id });
      const all = await alice.sessions.messages.list(session_id, { order: 'asc' });
      expect(all).toMatchObject({ total: 4, limit: 50, offset: 0 });
      expect(Object.keys(all.data[0]).sort()).toEqual(MESSAGE_FIELDS);
      expect(all.data[0]).toMatchObject({
        id: expect.stringMatching(UUID),
        session_id,
        role: 'user',
        content: 'first',
        tokens: expect.any(Number),
        status: 'complete',
        created_at: expect.any(String),
      });
      expect(all.data[1]).toMatchObject({ role: 'assistant', content: 'first', model: 'echo' });
      const second = await alice.sessions.messages.list(session_id, {
        order: 'asc',
        limit: 1,
        offset: 1,
      });
      expect(second.data.map((m) => [m.role, m.content])).toEqual([['assistant', 'first']]);
      const newest = await alice.sessions.messages.list(session_id, { order: 'desc', limit: 1 });
      expect(newest.data[0].content).toBe('second');

      const target = all.data[1].id;
      await expectApiError(bob.messages.delete(target), 404, 'MESSAGE_NOT_FOUND');
      await expect(alice.messages.delete(target)).resolves.toBeUndefined();
      await expectApiError(alice.messages.delete(target), 404, 'MESSAGE_NOT_FOUND');
      expect((await alice.sessions.messages.list(session_id)).total).toBe(3);
    });
  });

  describe('skills', () => {
    it('creates, lists, gets, updates, runs and deletes a skill', async () => {
      const name = `greet-${randomUUID().slice(0, 8)}`;
      const skill = await admin.skills.create({
        name,
        description: 'Says hello',
        script: 'echo "hello, $PARAM_NAME"',
        timeout_ms: 5000,
      });
      expect(skill).toEqual({
        name,
        description: 'Says hello',
        script: 'echo "hello, $PARAM_NAME"',
        timeout_ms: 5000,
        created_at: expect.any(String),
        updated_at: expect.any(String),
      });
      await expectApiError(admin.skills.create({ name, script: 'true' }), 409, 'CONFLICT');
      await expectApiError(alice.skills.create({ name: 'mine', script: 'true' }), 403, 'FORBIDDEN');
      const bad = await expectApiError(
        admin.skills.create({ name: 'Bad Name', script: 'true' }),
        400,
        'VALIDATION_ERROR',
      );
      expect(bad.details.fields).toEqual([{ field: 'name', message: expect.any(String) }]);

      const listed = await alice.skills.list({ limit: 100 });
      const seen = listed.data.find((s) => s.name === name);
      expect(seen).toMatchObject({ name, description: 'Says hello' });
      expect(seen).not.toHaveProperty('script');
      expect(await alice.skills.get(name)).not.toHaveProperty('script');
      expect((await admin.skills.get(name)).script).toBe('echo "hello, $PARAM_NAME"');

      const ran = await alice.skills.run(name, { params: { name: 'Ada' } });
      expect(ran).toMatchObject({
        id: expect.stringMatching(UUID),
        skill: name,
        status: 'succeeded',
        params: { name: 'Ada' },
        exit_code: 0,
        stdout: 'hello, Ada\n',
        stderr: '',
        output_truncated: false,
      });

      const queued = await alice.skills.run(name, { params: { name: 'Bo' }, wait: false });
      expect(['queued', 'running']).toContain(queued.status);
      const finished = await alice.skills.waitForRun(name, queued.id, { interval: 100 });
      expect(finished).toMatchObject({ id: queued.id, status: 'succeeded', stdout: 'hello, Bo\n' });
      expect(await alice.skills.runs.get(name, queued.id)).toEqual(finished);

      const runs = await alice.skills.runs.list(name, { order: 'asc' });
      expect(runs.total).toBe(2);
      expect(runs.data.map((r) => r.id)).toEqual([ran.id, queued.id]);
      expect((await bob.skills.runs.list(name)).total).toBe(0);
      await expectApiError(bob.skills.runs.get(name, ran.id), 404, 'SKILL_RUN_NOT_FOUND');
      expect((await admin.skills.runs.list(name)).total).toBe(2);

      const updated = await admin.skills.update(name, { script: 'echo bye', timeout_ms: 1000 });
      expect(updated).toMatchObject({ name, script: 'echo bye', timeout_ms: 1000 });
      expect((await alice.skills.run(name)).stdout).toBe('bye\n');
      await expectApiError(alice.skills.update(name, { script: 'x' }), 403, 'FORBIDDEN');
      await expectApiError(alice.skills.delete(name), 403, 'FORBIDDEN');

      await expect(admin.skills.delete(name)).resolves.toBeUndefined();
      await expectApiError(alice.skills.get(name), 404, 'SKILL_NOT_FOUND');
      await expectApiError(alice.skills.run(name), 404, 'SKILL_NOT_FOUND');
    }, 60_000);
  });

  describe('webhooks and verifyWebhook', () => {
    const receiver = () => startTrackedReceiver(receivers);

    it('manages webhooks, and verifies a real delivery from the server', async () => {
      const rx = await receiver();
      const hook = await alice.webhooks.create({
        url: rx.url,
        events: ['session.created'],
        description: 'sdk',
      });
      expect(hook).toEqual({
        id: expect.stringMatching(UUID),
        url: rx.url,
        events: ['session.created'],
        description: 'sdk',
        active: true,
        secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/=]+$/),
        created_at: expect.any(String),
        updated_at: expect.any(String),
      });
      const { secret, ...shown } = hook;
      expect(await alice.webhooks.get(hook.id)).toEqual(shown);
      expect((await alice.webhooks.list()).data).toEqual([shown]);
      await expectApiError(bob.webhooks.get(hook.id), 404, 'WEBHOOK_NOT_FOUND');
      await expectApiError(bob.webhooks.test(hook.id), 404, 'WEBHOOK_NOT_FOUND');
      const badEvent = await expectApiError(
        alice.webhooks.create({ url: rx.url, events: ['nope' as 'session.created'] }),
        400,
        'VALIDATION_ERROR',
      );
      expect(badEvent.details.fields).toEqual([{ field: 'events', message: expect.any(String) }]);

      // A real event, signed and sent by the server's worker.
      const session = await alice.sessions.create({ name: 'hooked' });
      const [delivered] = await rx.waitFor(1);
      const event = await sdk.verifyWebhook(delivered.rawBody, delivered.headers, secret);
      expect(event).toMatchObject({
        id: delivered.headers['webhook-id'],
        type: 'session.created',
        created_at: expect.any(String),
      });
      expect(JSON.stringify(event.data)).toContain(session.id);
      // A Headers instance and the raw bytes work too.
      const headers = new Headers(delivered.headers as Record<string, string>);
      await expect(
        sdk.verifyWebhook(Buffer.from(delivered.rawBody), headers, secret),
      ).resolves.toEqual(event);

      // Tampering, a wrong secret, an old or missing timestamp: all refused.
      const refused = async (promise: Promise<unknown>, code: string) => {
        const err = await promise.then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(sdk.WebhookVerificationError);
        expect((err as { code: string }).code).toBe(code);
      };
      const tampered = delivered.rawBody.replace('session.created', 'session.deleted');
      expect(tampered).not.toBe(delivered.rawBody);
      await refused(sdk.verifyWebhook(tampered, delivered.headers, secret), 'INVALID_SIGNATURE');
      const otherSecret = `whsec_${Buffer.from('another secret of 24 byte').toString('base64')}`;
      await refused(
        sdk.verifyWebhook(delivered.rawBody, delivered.headers, otherSecret),
        'INVALID_SIGNATURE',
      );
      const later = new Date(Date.now() + 6 * 60 * 1000);
      await refused(
        sdk.verifyWebhook(delivered.rawBody, delivered.headers, secret, { now: later }),
        'TIMESTAMP_OUT_OF_TOLERANCE',
      );
      await expect(
        sdk.verifyWebhook(delivered.rawBody, delivered.headers, secret, {
          now: later,
          tolerance: 600,
        }),
      ).resolves.toEqual(event);
      const unsigned = Object.fromEntries(
        Object.entries(delivered.headers).filter(([name]) => name !== 'webhook-signature'),
      );
      await refused(sdk.verifyWebhook(delivered.rawBody, unsigned, secret), 'MISSING_HEADERS');

      // A re-signed old delivery (a replay with a fresh signature over an old timestamp) is refused.
      const old = Math.floor(Date.now() / 1000) - 3600;
      const id = String(delivered.headers['webhook-id']);
      const replay = {
        'webhook-id': id,
        'webhook-timestamp': String(old),
        'webhook-signature': sign(secret, id, old, delivered.rawBody),
      };
      await refused(
        sdk.verifyWebhook(delivered.rawBody, replay, secret),
        'TIMESTAMP_OUT_OF_TOLERANCE',
      );
      await expect(
        sdk.verifyWebhook(delivered.rawBody, replay, secret, { now: new Date(old * 1000) }),
      ).resolves.toEqual(event);

      // Deliveries: the log, one delivery, and a retry that sends the same event again.
      const log = await until('the delivery to succeed', async () => {
        const page = await alice.webhooks.deliveries.list(hook.id);
        return page.data[0]?.status === 'succeeded' ? page : undefined;
      });
      expect(log).toMatchObject({ total: 1, limit: 50, offset: 0 });
      const d = log.data[0];
      expect(d).toMatchObject({
        webhook_id: hook.id,
        event_id: event.id,
        event_type: 'session.created',
        status: 'succeeded',
        attempts: [expect.objectContaining({ attempt: 1, status_code: 200 })],
      });
      expect(await alice.webhooks.deliveries.get(hook.id, d.id)).toEqual(d);
      await expectApiError(bob.webhooks.deliveries.get(hook.id, d.id), 404, 'WEBHOOK_NOT_FOUND');
      await expectApiError(
        alice.webhooks.deliveries.get(hook.id, randomUUID()),
        404,
        'DELIVERY_NOT_FOUND',
      );
      const retried = await alice.webhooks.deliveries.retry(hook.id, d.id);
      expect(retried.id).toBe(d.id);
      const [, again] = await rx.waitFor(2);
      expect(again.headers['webhook-id']).toBe(event.id);
      expect((await sdk.verifyWebhook(again.rawBody, again.headers, secret)).id).toBe(event.id);

      // A test delivery, before and after rotating the secret.
      const tested = await alice.webhooks.test(hook.id);
      expect(tested).toEqual({
        delivery_id: expect.stringMatching(UUID),
        success: true,
        status_code: 200,
        duration_ms: expect.any(Number),
        error: null,
      });
      const [, , testDelivery] = await rx.waitFor(3);
      expect(
        (await sdk.verifyWebhook(testDelivery.rawBody, testDelivery.headers, secret)).type,
      ).toBe('webhook.test');
      const rotated = await alice.webhooks.rotateSecret(hook.id);
      expect(rotated.secret).toMatch(/^whsec_/);
      expect(rotated.secret).not.toBe(secret);
      await alice.webhooks.test(hook.id);
      const [, , , afterRotation] = await rx.waitFor(4);
      await refused(
        sdk.verifyWebhook(afterRotation.rawBody, afterRotation.headers, secret),
        'INVALID_SIGNATURE',
      );
      await expect(
        sdk.verifyWebhook(afterRotation.rawBody, afterRotation.headers, rotated.secret),
      ).resolves.toMatchObject({ type: 'webhook.test' });

      const updated = await alice.webhooks.update(hook.id, { events: ['*'], active: false });
      expect(updated).toMatchObject({ id: hook.id, events: ['*'], active: false });
      expect(updated).not.toHaveProperty('secret');
      await expectApiError(
        bob.webhooks.update(hook.id, { active: true }),
        404,
        'WEBHOOK_NOT_FOUND',
      );
      await expectApiError(bob.webhooks.delete(hook.id), 404, 'WEBHOOK_NOT_FOUND');
      await expect(alice.webhooks.delete(hook.id)).resolves.toBeUndefined();
      await expectApiError(alice.webhooks.get(hook.id), 404, 'WEBHOOK_NOT_FOUND');
    }, 60_000);
  });

  describe('the built package', () => {
    let dir: string;
    let key: string;

    beforeAll(async () => {
      key = await createApiKey(t, aliceUser.token, 'built package');
      // A project that has installed the package: node_modules/openclaw-sdk is this repository's sdk/js.
      dir = mkdtempSync(join(tmpdir(), 'openclaw-sdk-consumer-'));
      mkdirSync(join(dir, 'node_modules'));
      symlinkSync(SDK_DIR, join(dir, 'node_modules', 'openclaw-sdk'), 'dir');
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    /** Runs node on a script of the consumer project, without blocking the server under test. */
    async function node(file: string, source: string, env: Record<string, string> = {}) {
      writeFileSync(join(dir, file), source);
      const { stdout } = await run(process.execPath, [file], {
        cwd: dir,
        env: { PATH: process.env.PATH ?? '', ...env },
        timeout: 20_000,
      });
      return stdout;
    }

    it('runs the seed’s example as written, with only the key filled in', async () => {
      // SPEC's seed, verbatim but for the key; OPENCLAW_BASE_URL points it at the test server.
      const seed = [
        "import { OpenClaw } from 'openclaw-sdk';",
        'const client = new OpenClaw({',
        `apiKey: '${key}'`,
        '});',
        'const response = await client.chat({',
        "message: '你好'",
        '});',
      ].join('\n');
      const stdout = await node('seed.mjs', `${seed}\nconsole.log(JSON.stringify(response));\n`, {
        OPENCLAW_BASE_URL: baseURL,
      });
      expect(JSON.parse(stdout)).toEqual({
        response: '你好',
        session_id: expect.stringMatching(UUID),
        message_id: expect.stringMatching(UUID),
        model: 'echo',
        tokens: { input: expect.any(Number), output: expect.any(Number) },
      });
    });

    it('works as an ES module: chat, a stream, errors, and verifyWebhook without a global crypto', async () => {
      const secret = `whsec_${Buffer.from('0123456789abcdef01234567').toString('base64')}`;
      const body = JSON.stringify({ id: 'evt_1', type: 'webhook.test', created_at: 'x', data: {} });
      const ts = Math.floor(Date.now() / 1000);
      const headers = { 'webhook-id': 'evt_1', 'webhook-timestamp': String(ts) };
      const signature = sign(secret, 'evt_1', ts, body);
      const stdout = await node(
        'esm.mjs',
        `
import { OpenClaw, OpenClawError, verifyWebhook } from 'openclaw-sdk';
const client = new OpenClaw({ baseURL: process.env.URL, apiKey: process.env.KEY });
const chat = await client.chat({ message: 'from esm' });
const stream = client.chatStream({ message: 'streamed from esm' });
const chunks = [];
for await (const { text } of stream) chunks.push(text);
let code;
try { await client.sessions.get('nope'); } catch (e) { code = e instanceof OpenClawError && e.code; }
// Node 18 has no global crypto: the verifier falls back to node:crypto's webcrypto.
delete globalThis.crypto;
const event = await verifyWebhook(process.env.BODY, { ...JSON.parse(process.env.HEADERS), 'webhook-signature': process.env.SIG }, process.env.SECRET);
let refused;
try { await verifyWebhook(process.env.BODY + ' ', { ...JSON.parse(process.env.HEADERS), 'webhook-signature': process.env.SIG }, process.env.SECRET); } catch (e) { refused = e.code; }
console.log(JSON.stringify({ reply: chat.response, chunks, usage: stream.usage, code, type: event.type, refused, crypto: typeof globalThis.crypto }));
`,
        {
          URL: baseURL,
          KEY: key,
          BODY: body,
          HEADERS: JSON.stringify(headers),
          SIG: signature,
          SECRET: secret,
        },
      );
      const out = JSON.parse(stdout);
      expect(out).toEqual({
        reply: 'from esm',
        chunks: ['streamed ', 'from ', 'esm'],
        usage: expect.objectContaining({ session_id: expect.stringMatching(UUID) }),
        code: 'SESSION_NOT_FOUND',
        type: 'webhook.test',
        refused: 'INVALID_SIGNATURE',
        crypto: 'undefined',
      });
    });

    it('works as CommonJS', async () => {
      const stdout = await node(
        'cjs.cjs',
        `
const { OpenClaw, OpenClawError, verifyWebhook } = require('openclaw-sdk');
(async () => {
  const client = new OpenClaw({ baseURL: process.env.URL, apiKey: process.env.KEY });
  const me = await client.users.me();
  const reply = await client.chat({ message: 'from cjs' });
  const bad = new OpenClaw({ baseURL: process.env.URL, apiKey: 'oc_wrong' });
  const err = await bad.models.list().catch((e) => e);
  console.log(JSON.stringify({
    id: me.id, reply: reply.response, isError: err instanceof OpenClawError,
    code: err.code, status: err.status, verify: typeof verifyWebhook,
    resolved: require.resolve('openclaw-sdk'),
  }));
})().catch((e) => { console.error(e); process.exit(1); });
`,
        { URL: baseURL, KEY: key },
      );
      const out = JSON.parse(stdout);
      expect(out).toEqual({
        id: aliceUser.id,
        reply: 'from cjs',
        isError: true,
        code: 'INVALID_API_KEY',
        status: 401,
        verify: 'function',
        resolved: expect.stringMatching(/sdk\/js\/dist\/cjs\/index\.js$/),
      });
    });

    it('ships type declarations for import and require', async () => {
      writeFileSync(
        join(dir, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: {
            module: 'nodenext',
            moduleResolution: 'nodenext',
            target: 'es2022',
            strict: true,
            noEmit: true,
            skipLibCheck: false,
            types: [],
            lib: ['es2022', 'dom'],
          },
          files: ['typed.mts', 'typed.cts'],
        }),
      );
      const body = `
const client = new OpenClaw({ apiKey: 'k' });
export async function f(): Promise<string> {
  const r: ChatResponse = await client.chat({ message: 'x' });
  const page = await client.sessions.list({ limit: 1, order: 'asc' });
  const stream = client.chatStream({ message: 'x' });
  for await (const chunk of stream) chunk.text.toUpperCase();
  const e = new OpenClawError({ code: 'X', message: 'y' });
  return r.response + page.data[0].created_at + stream.usage?.message_id + e.status + typeof verifyWebhook;
}
`;
      writeFileSync(
        join(dir, 'typed.mts'),
        `import { type ChatResponse, OpenClaw, OpenClawError, verifyWebhook } from 'openclaw-sdk';\n${body}`,
      );
      writeFileSync(
        join(dir, 'typed.cts'),
        `import { type ChatResponse, OpenClaw, OpenClawError, verifyWebhook } from 'openclaw-sdk';\n${body}`,
      );
      const tsc = require.resolve('typescript/bin/tsc', { paths: [REPO_DIR] });
      await expect(
        run(process.execPath, [tsc, '-p', join(dir, 'tsconfig.json')], { cwd: dir }),
      ).resolves.toBeDefined();
      // And it does fail on a type error, so the check above means something.
      writeFileSync(
        join(dir, 'typed.cts'),
        `import { OpenClaw } from 'openclaw-sdk';\nnew OpenClaw({ apiKey: 1 });\n`,
      );
      await expect(
        run(process.execPath, [tsc, '-p', join(dir, 'tsconfig.json')], { cwd: dir }),
      ).rejects.toMatchObject({ stdout: expect.stringContaining('typed.cts') });
    }, 60_000);
  });
});

describe('openclaw-sdk retries, against a scripted local server', () => {
  let server: LocalServer | undefined;

  beforeAll(async () => {
    sdk ??= await loadSdk();
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  const client = (opts: { maxRetries?: number; timeout?: number } = {}) =>
    new sdk.OpenClaw({ apiKey: 'oc_test', baseURL: server!.baseURL, ...opts });

  it('waits for Retry-After (seconds) after a 429, then succeeds', async () => {
    server = await localServer((_req, res, n) =>
      n === 1
        ? json(res, 429, envelope('RATE_LIMIT'), { 'Retry-After': '1' })
        : json(res, 200, { data: [] }),
    );
    await expect(client().models.list()).resolves.toEqual({ data: [] });
    const [first, second] = server.requests;
    expect(server.requests).toHaveLength(2);
    expect(second.at - first.at).toBeGreaterThanOrEqual(950);
    expect(second.at - first.at).toBeLessThan(2000);
    expect(first.headers.authorization).toBe('Bearer oc_test');
    expect(first.headers.accept).toBe('application/json');
  });

  it('honours Retry-After as an HTTP date, and retries a POST after a 429 or 503', async () => {
    server = await localServer((_req, res, n) => {
      if (n === 1) {
        const at = new Date(Date.now() + 2000).toUTCString();
        return json(res, 503, envelope('SERVICE_UNAVAILABLE'), { 'Retry-After': at });
      }
      json(res, 200, { response: 'ok' });
    });
    await expect(client().chat({ message: 'x' })).resolves.toEqual({ response: 'ok' });
    const [first, second] = server.requests;
    expect(second.at - first.at).toBeGreaterThanOrEqual(900);
    expect(second.body).toBe(JSON.stringify({ message: 'x' }));
    expect(first.headers['content-type']).toBe('application/json');
  });

  it('retries 5xx with backoff for GET, never for a POST, up to maxRetries', async () => {
    server = await localServer((_req, res) => json(res, 500, envelope('INTERNAL_ERROR')));
    const started = Date.now();
    const err = await failure(client().sessions.list());
    expect(err).toMatchObject({ code: 'INTERNAL_ERROR', status: 500 });
    expect(server.requests).toHaveLength(3);
    // Backoff: about 0.5 s then 1 s, less up to a quarter of jitter.
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);

    server.requests.length = 0;
    await failure(client().chat({ message: 'x' }));
    await failure(client().sessions.create({ name: 'x' }));
    expect(server.requests.map((r) => r.method)).toEqual(['POST', 'POST']);

    server.requests.length = 0;
    await failure(client({ maxRetries: 0 }).sessions.list());
    await failure(client().sessions.list({}, { maxRetries: 1 }));
    expect(server.requests).toHaveLength(3);
  });

  it('does not wait out a Retry-After over 60 s, and does not retry 4xx', async () => {
    server = await localServer((req, res) =>
      req.url.includes('sessions')
        ? json(res, 429, envelope('RATE_LIMIT'), { 'Retry-After': '3600' })
        : json(res, 404, envelope('SESSION_NOT_FOUND')),
    );
    const started = Date.now();
    const err = await failure(client().sessions.list());
    expect(err).toMatchObject({ code: 'RATE_LIMIT', status: 429 });
    expect(err.headers?.get('retry-after')).toBe('3600');
    expect(Date.now() - started).toBeLessThan(500);
    await failure(client().models.list());
    expect(server.requests).toHaveLength(2);
  });

  it('retries a broken connection for GET but not for POST; CONNECTION_ERROR has status 0', async () => {
    server = await localServer((_req, res, n) => {
      if (n === 1 || n === 3) return res.socket?.destroy();
      json(res, 200, { ok: n });
    });
    await expect(client().config.get()).resolves.toEqual({ ok: 2 });
    const err = await failure(client().chat({ message: 'x' }));
    expect(err).toMatchObject({ code: 'CONNECTION_ERROR', status: 0, requestId: undefined });
    expect(server.requests).toHaveLength(3);

    // Nothing listens (a port no connection was ever made to): refused, which a POST may retry.
    const dead = await localServer(() => undefined);
    await dead.close();
    const refused = new sdk.OpenClaw({ baseURL: dead.baseURL, maxRetries: 1 });
    const err2 = await failure(refused.chat({ message: 'x' }));
    expect(err2).toMatchObject({ code: 'CONNECTION_ERROR', status: 0 });
    expect(err2.message).toMatch(/ECONNREFUSED/);
  });

  it('reports an answer that is not the API’s JSON, with the request id', async () => {
    server = await localServer((req, res) => {
      if (req.url.endsWith('/models')) {
        res.writeHead(502, { 'Content-Type': 'text/html', 'X-Request-Id': 'req-1' });
        return res.end('<html>Bad gateway</html>');
      }
      res.writeHead(200, { 'Content-Type': 'application/json', 'X-Request-Id': 'req-2' });
      res.end('{not json');
    });
    expect(await failure(client({ maxRetries: 0 }).models.list())).toMatchObject({
      code: 'HTTP_ERROR',
      status: 502,
      requestId: 'req-1',
    });
    expect(await failure(client().config.get())).toMatchObject({
      code: 'INVALID_RESPONSE',
      status: 200,
      requestId: 'req-2',
    });
  });

  it('parses SSE split at any byte, with CRLF, comments and multi-byte characters', async () => {
    const frames =
      ': ping\r\n\r\n' +
      'data: {"text":"春眠"}\r\n\r\n' +
      'data:{"text":"不觉晓"}\n\n' +
      ': ping\n\n' +
      'event: usage\r\ndata: {"session_id":"s","message_id":"m",\r\ndata: "tokens":{"input":1,"output":2}}\r\n\r\n' +
      'data: [DONE]\r\n\r\n';
    server = await localServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/event-stream', 'X-Session-Id': 's' });
      const bytes = Buffer.from(frames, 'utf8');
      let i = 0;
      const next = () => {
        if (i >= bytes.length) return res.end();
        res.write(bytes.subarray(i, i + 1), () => setImmediate(next));
        i += 1;
      };
      next();
    });
    const stream = client().chatStream({ message: 'x' });
    const chunks: string[] = [];
    for await (const { text } of stream) chunks.push(text);
    expect(chunks).toEqual(['春眠', '不觉晓']);
    expect(stream.usage).toEqual({
      session_id: 's',
      message_id: 'm',
      tokens: { input: 1, output: 2 },
    });
    expect(stream.sessionId).toBe('s');
    expect(server.requests[0].headers.accept).toBe('text/event-stream');
  });

  it('throws when a stream ends before [DONE], or goes quiet for longer than the timeout', async () => {
    server = await localServer((req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/event-stream' });
      res.write('data: {"text":"a"}\n\n');
      if (req.body.includes('cut')) res.end();
      // else: stays open and silent
    });
    const chunks: string[] = [];
    const cut = client().chatStream({ message: 'cut' });
    const err = await failure(
      (async () => {
        for await (const { text } of cut) chunks.push(text);
      })(),
    );
    expect(err).toMatchObject({ code: 'CONNECTION_ERROR', status: 0 });
    expect(chunks).toEqual(['a']);

    const started = Date.now();
    const quiet = await failure(client({ timeout: 300 }).chatStream({ message: 'quiet' }).text());
    expect(quiet).toMatchObject({ code: 'TIMEOUT', status: 0 });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('turns an event: error into an OpenClawError with the code’s status', async () => {
    server = await localServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/event-stream', 'X-Request-Id': 'rid' });
      res.end(
        'data: {"text":"a"}\n\nevent: error\ndata: {"error":{"code":"SERVICE_UNAVAILABLE","message":"The server is shutting down","details":{"message_id":"m1"}}}\n\ndata: [DONE]\n\n',
      );
    });
    const err = await failure(client().chatStream({ message: 'x' }).text());
    expect(err).toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
      status: 503,
      message: 'The server is shutting down',
      details: { message_id: 'm1' },
      requestId: 'rid',
    });
  });
});

describe('openclaw-sdk and the real rate limiter', () => {
  let t: TestApp;

  beforeAll(async () => {
    sdk ??= await loadSdk();
    t = await startTestApp({ RATE_LIMIT_PER_MINUTE: '2' });
  }, 60_000);
  afterAll(() => t?.close());

  it('surfaces a real 429 as OpenClawError RATE_LIMIT with Retry-After when maxRetries is 0', async () => {
    const user = await createUser(t);
    const client = new sdk.OpenClaw({
      apiKey: await createApiKey(t, user.token),
      baseURL: `${serverUrl(t.app.getHttpServer())}/api/v1`,
      maxRetries: 0,
    });
    // Two calls are allowed per minute; a minute boundary can reset the count once at most.
    let err: SdkError | undefined;
    let allowed = 0;
    for (let i = 0; i < 5 && !err; i++) {
      err = await client.users.me().then(
        () => {
          allowed += 1;
          return undefined;
        },
        (e: SdkError) => e,
      );
    }
    expect(err).toBeInstanceOf(sdk.OpenClawError);
    expect(err).toMatchObject({ code: 'RATE_LIMIT', status: 429 });
    expect(allowed).toBeLessThanOrEqual(3);
    const retryAfter = Number(err!.headers?.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(err!.requestId).toEqual(expect.any(String));
  });
});
