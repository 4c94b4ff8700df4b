import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { UsageRecordsRepository } from '../../src/usage/usage-records.repository';
import { FakeLlm, startFakeLlm } from '../support/fake-llm';
import { startTestApp, TestApp } from '../support/test-app';
import { ADMIN_EMAIL, ADMIN_PASSWORD } from '../support/test-env';

/**
 * Runs the Python SDK's own test suite (sdk/python/tests, unittest) against the real server,
 * started here in-process. The suite is a child process run asynchronously: the app lives in this
 * Node process and must keep serving while Python talks to it.
 */

const ROOT = resolve(__dirname, '..', '..');
const PYTHON = process.env.OPENCLAW_SDK_PYTHON || 'python3';
/** The number of tests in sdk/python/tests: a suite that silently lost some must fail. */
const MIN_TESTS = 94;
const SUITE_TIMEOUT_MS = 240_000;

/** Models served by fake OpenAI-compatible providers, for what the echo model cannot do. */
const SLOW_MODEL = 'slow-model';
const BROKEN_MODEL = 'broken-model';
/** A model of two usage records of the admin's, written here as the completion path writes them. */
const USAGE_MODEL = 'py-usage-model';
const SLOW_REPLY = Array.from({ length: 40 }, (_, i) => `word${i}`).join(' ');

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}

function runPython(args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn(PYTHON, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (output += c.toString('utf8')));
    const timer = setTimeout(() => {
      output += `\n[sdk-python.e2e] killed after ${timeoutMs} ms\n`;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      fail(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      done({ code, signal, output });
    });
  });
}

describe('Python SDK (sdk/python) against the real server', () => {
  let t: TestApp;
  let slow: FakeLlm;
  let broken: FakeLlm;

  beforeAll(async () => {
    slow = await startFakeLlm();
    slow.behave({ reply: SLOW_REPLY, chunkDelayMs: 250 });
    broken = await startFakeLlm();
    broken.behave({ reply: 'this reply breaks off after two words', dropAfterChunks: 2 });

    const dir = mkdtempSync(join(tmpdir(), 'openclaw-sdk-python-'));
    const providersFile = join(dir, 'providers.json');
    writeFileSync(
      providersFile,
      JSON.stringify({
        providers: [
          {
            name: 'slow',
            base_url: slow.baseURL,
            api_key_env: 'FAKE_LLM_KEY',
            models: [SLOW_MODEL],
          },
          {
            name: 'broken',
            base_url: broken.baseURL,
            api_key_env: 'FAKE_LLM_KEY',
            models: [BROKEN_MODEL],
          },
        ],
      }),
    );

    t = await startTestApp({
      PROVIDERS_FILE: providersFile,
      FAKE_LLM_KEY: 'sk-fake-key',
      // The suite's webhook receiver listens on 127.0.0.1.
      WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
      WEBHOOK_RETRY_SCHEDULE: '300ms,300ms,300ms',
      WEBHOOK_RECONCILE_INTERVAL_MS: '500',
      WEBHOOK_TIMEOUT_MS: '2000',
    });
    if (!t.adminToken) throw new Error('the admin could not log in');

    const config = await t
      .http()
      .patch('/api/v1/config')
      .set('Authorization', `Bearer ${t.adminToken}`)
      .send({ model: 'echo' });
    if (config.status !== 200)
      throw new Error(`PATCH /config: ${config.status} ${JSON.stringify(config.body)}`);

    const me = await t
      .http()
      .get('/api/v1/users/me')
      .set('Authorization', `Bearer ${t.adminToken}`);
    const records = t.app.get(UsageRecordsRepository);
    for (const [inputTokens, outputTokens, costUsd] of [
      [1000, 500, 0.25],
      [2000, 500, null],
    ])
      await records.insert({
        userId: me.body.id,
        apiKeyId: null,
        model: USAGE_MODEL,
        provider: 'test',
        endpoint: '/api/v1/chat',
        status: 'complete',
        inputTokens: inputTokens!,
        outputTokens: outputTokens!,
        costUsd,
        latencyMs: 10,
        createdAt: new Date('2025-06-01T12:00:00Z'),
      });
  }, 60_000);

  afterAll(async () => {
    await t?.close();
    await slow?.close();
    await broken?.close();
  });

  it(
    'passes `python3 -m unittest discover -s sdk/python/tests -v`',
    async () => {
      const { port } = t.app.getHttpServer().address() as AddressInfo;
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        OPENCLAW_BASE_URL: `http://127.0.0.1:${port}/api/v1`,
        OPENCLAW_TEST_ADMIN_EMAIL: ADMIN_EMAIL,
        OPENCLAW_TEST_ADMIN_PASSWORD: ADMIN_PASSWORD,
        OPENCLAW_TEST_SLOW_MODEL: SLOW_MODEL,
        OPENCLAW_TEST_BROKEN_MODEL: BROKEN_MODEL,
        OPENCLAW_TEST_USAGE_MODEL: USAGE_MODEL,
        PYTHONIOENCODING: 'utf-8',
        PYTHONDONTWRITEBYTECODE: '1',
        PYTHONUNBUFFERED: '1',
      };
      // The suite must see only the credentials it is given.
      delete env.OPENCLAW_API_KEY;

      const run = await runPython(
        ['-m', 'unittest', 'discover', '-s', 'sdk/python/tests', '-v'],
        env,
        SUITE_TIMEOUT_MS,
      );

      const ran = /^Ran (\d+) tests? in /m.exec(run.output);
      const problems: string[] = [];
      if (run.code !== 0) problems.push(`exit code ${run.code} (signal ${run.signal})`);
      if (!ran) problems.push('no "Ran N tests" line');
      else if (Number(ran[1]) < MIN_TESTS)
        problems.push(`ran ${ran[1]} tests, expected at least ${MIN_TESTS}`);
      if (/\.\.\. skipped|skipped=/.test(run.output)) problems.push('some tests were skipped');
      if (problems.length > 0 || process.env.OPENCLAW_SDK_PYTHON_VERBOSE) {
        console.log(run.output);
      }
      if (problems.length > 0) {
        throw new Error(`Python SDK suite failed: ${problems.join('; ')}`);
      }
      expect(run.code).toBe(0);
    },
    SUITE_TIMEOUT_MS + 10_000,
  );
});
