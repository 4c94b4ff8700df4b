import { FakeLlm, startFakeLlm } from '../support/fake-llm';
import { PrivatePostgres, startPrivatePostgres } from '../support/private-postgres';
import { serverUrl, startPost, textChunks } from '../support/sse';
import { startTestApp, TestApp } from '../support/test-app';
import { until } from '../support/wait';

/** A promise the test settles when it chooses. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return { opened, open };
}

/**
 * The database goes down after the provider's reply began and before the turn is stored
 * (SPEC §6, §3): the caller is told the service is unavailable, not that the provider failed,
 * and nothing half-stored is left behind. A PostgreSQL server of its own is really stopped.
 */
describe('A chat turn that cannot be stored (database down)', () => {
  let pg: PrivatePostgres;
  let llm: FakeLlm;
  let t: TestApp;
  let auth: { Authorization: string };

  beforeAll(async () => {
    pg = await startPrivatePostgres();
    llm = await startFakeLlm();
    t = await startTestApp({
      DATABASE_URL: pg.url,
      OPENAI_API_KEY: 'sk-outage-test',
      OPENAI_BASE_URL: llm.baseURL,
    });
    auth = { Authorization: `Bearer ${t.adminToken}` };
  });
  afterAll(async () => {
    await t?.close();
    await llm?.close();
    await pg?.destroy();
  });
  afterEach(async () => {
    llm.reset();
    await pg.start();
  });

  /** The database is back: the turn left no session behind. */
  async function expectNothingStored(sessionId: string): Promise<void> {
    await pg.start();
    const res = await t.http().get(`/api/v1/sessions/${sessionId}`).set(auth);
    expect(res.status).toBe(404);
    const list = await t.http().get('/api/v1/sessions').set(auth).expect(200);
    expect(list.body.data).toEqual([]);
  }

  it('a stream ends with event: error SERVICE_UNAVAILABLE and [DONE]', async () => {
    const last = gate();
    llm.behave({ chunks: ['one ', 'two ', 'three'], holdLast: last.opened });
    const res = await startPost(
      `${serverUrl(t.app.getHttpServer())}/api/v1/chat/stream`,
      { message: 'store me', model: 'gpt-4o' },
      auth,
    ).response;
    expect(res.status).toBe(200);
    await res.waitFor((frames) => frames.length >= 2);

    await pg.stop('immediate');
    last.open();
    await res.ended;

    const frames = res.parsed().frames;
    expect(textChunks(frames)).toEqual(['one ', 'two ', 'three']);
    expect(frames.at(-1)).toEqual({ event: 'message', data: '[DONE]' });
    expect(frames.at(-2)!.event).toBe('error');
    expect(JSON.parse(frames.at(-2)!.data).error).toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    await expectNothingStored(res.headers['x-session-id'] as string);
  });

  it('the plain chat answers 503 SERVICE_UNAVAILABLE', async () => {
    const reply = gate();
    llm.behave({ reply: 'an answer never stored', holdLast: reply.opened });
    const answer = t
      .http()
      .post('/api/v1/chat')
      .set(auth)
      .send({ message: 'store me too', model: 'gpt-4o' })
      .then((r) => r);
    await until('the provider request', async () => llm.requests.length === 1, 5000);

    await pg.stop('immediate');
    reply.open();
    const res = await answer;

    expect(res.status).toBe(503);
    expect(res.body).toEqual({
      error: { code: 'SERVICE_UNAVAILABLE', message: expect.any(String), details: {} },
    });
    await pg.start();
    const list = await t.http().get('/api/v1/sessions').set(auth).expect(200);
    expect(list.body.data).toEqual([]);
  });
});
