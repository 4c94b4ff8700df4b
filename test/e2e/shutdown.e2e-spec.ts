import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import request from 'supertest';

import { FakeLlm, startFakeLlm } from '../support/fake-llm';
import { ServerProcess, spawnServer } from '../support/server-process';
import { startPost } from '../support/sse';
import { resetDatabase, startApp, TestApp } from '../support/test-app';
import { ADMIN_EMAIL, ADMIN_PASSWORD, testEnv } from '../support/test-env';

const CHUNKS = Array.from({ length: 40 }, (_, i) => `part${i} `);

/** SIGTERM to the built server while it answers (SPEC §11): nothing lost, nothing stuck, exit 0. */
describe('SIGTERM during requests (SPEC §11)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'openclaw-shutdown-'));
  const databaseUrl = process.env.DATABASE_URL || `sqlite:${join(dir, 'shutdown.db')}`;
  let llm: FakeLlm;
  let server: ServerProcess;
  let base: string;
  let token: string;

  beforeAll(async () => {
    llm = await startFakeLlm();
    await resetDatabase(testEnv({ DATABASE_URL: databaseUrl }));
    server = spawnServer({
      DATABASE_URL: databaseUrl,
      ADMIN_EMAIL,
      ADMIN_PASSWORD,
      OPENAI_API_KEY: 'sk-shutdown-test',
      OPENAI_BASE_URL: llm.baseURL,
      SHUTDOWN_TIMEOUT_MS: '10000',
      SSE_PING_INTERVAL_MS: '100000',
    });
    await server.waitForOutput(/listening on/);
    base = `http://127.0.0.1:${server.port}`;
    const login = await request(base)
      .post('/api/v1/auth/login')
      .send({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD })
      .expect(200);
    token = login.body.access_token;
  });
  afterAll(async () => {
    await server.stop();
    await llm.close();
  });

  it('ends open streams with event: error, stores their partial replies, finishes plain chats, exits 0', async () => {
    // Two slow streams and one slow plain chat are in flight when SIGTERM arrives.
    llm.behave(
      { chunks: CHUNKS, chunkDelayMs: 150 },
      { chunks: CHUNKS, chunkDelayMs: 150 },
      { reply: 'the plain answer', delayMs: 1200 },
    );
    const auth = { Authorization: `Bearer ${token}` };
    const streams = await Promise.all(
      ['first stream', 'second stream'].map(
        (message) =>
          startPost(`${base}/api/v1/chat/stream`, { message, model: 'gpt-4o' }, auth).response,
      ),
    );
    for (const s of streams) {
      expect(s.status).toBe(200);
      await s.waitFor((frames) => frames.length >= 2);
    }
    const plain = request(base)
      .post('/api/v1/chat')
      .set(auth)
      .send({ message: 'plain question', model: 'gpt-4o' })
      .then((res) => res);
    await new Promise((r) => setTimeout(r, 300));

    server.proc.kill('SIGTERM');

    const exit = await server.exited;
    expect({ code: exit.code, signal: exit.signal }).toEqual({ code: 0, signal: null });

    const answered = await plain;
    expect(answered.status).toBe(200);
    expect(answered.body.response).toBe('the plain answer');

    const ends: { sessionId: string; sent: string; messageId: string }[] = [];
    for (const s of streams) {
      await s.ended;
      const frames = s.parsed().frames;
      expect(frames.at(-1)).toEqual({ event: 'message', data: '[DONE]' });
      const error = frames.at(-2)!;
      expect(error.event).toBe('error');
      const body = JSON.parse(error.data);
      expect(body.error).toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
      expect(body.error.message).toMatch(/shutting down/);
      const sent = frames
        .filter((f) => f.event === 'message' && f.data !== '[DONE]')
        .map((f) => (JSON.parse(f.data) as { text: string }).text)
        .join('');
      expect(sent.length).toBeGreaterThan(0);
      expect(sent.length).toBeLessThan(CHUNKS.join('').length);
      ends.push({
        sessionId: s.headers['x-session-id'] as string,
        sent,
        messageId: body.error.details.message_id,
      });
    }

    // What the clients saw is what was stored, marked incomplete.
    const t: TestApp = await startApp(testEnv({ DATABASE_URL: databaseUrl }), { reset: false });
    try {
      for (const end of ends) {
        const res = await t
          .http()
          .get(`/api/v1/sessions/${end.sessionId}/messages?order=asc`)
          .set('Authorization', `Bearer ${t.adminToken}`)
          .expect(200);
        expect(
          res.body.data.map((m: { role: string; content: string; status: string }) => [
            m.role,
            m.status,
          ]),
        ).toEqual([
          ['user', 'complete'],
          ['assistant', 'incomplete'],
        ]);
        expect(res.body.data[1]).toMatchObject({ id: end.messageId, content: end.sent });
      }
    } finally {
      await t.close();
    }
  });
});
