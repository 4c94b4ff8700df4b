import { randomUUID } from 'node:crypto';

import { createApiKey, createUser, TestUser } from '../factories/users.factory';
import { expectError, expectFieldError } from '../support/expect-error';
import { FakeLlm, startFakeLlm } from '../support/fake-llm';
import { dbQuery, send } from '../support/http';
import { ISO_UTC, MESSAGE_FIELDS } from '../support/matchers';
import { startTestApp, TestApp } from '../support/test-app';
import { sleep } from '../support/wait';

const SESSIONS = '/api/v1/sessions';
const MESSAGES = '/api/v1/messages';
const SESSION_FIELDS = ['created_at', 'id', 'model', 'name', 'updated_at'];
/** Path segments as sent: a NUL byte, a literal "%00" and undecodable percent-encoding included. */
const MALFORMED_IDS = [
  '123',
  'not-a-uuid',
  `${randomUUID()}x`,
  randomUUID().replace(/-/g, ''),
  encodeURIComponent("1' OR '1'='1"),
  '%00',
  '%2500',
  'x'.repeat(300),
];
const BAD_PAGES = [
  'limit=0',
  'limit=101',
  'limit=-1',
  'limit=abc',
  'limit=1.5',
  'offset=-1',
  'offset=abc',
  'order=sideways',
];

type Method = 'get' | 'post' | 'patch' | 'delete';

interface Session {
  id: string;
  name: string;
  model: string | null;
  created_at: string;
  updated_at: string;
}

interface Message {
  id: string;
  session_id: string;
  role: string;
  content: string;
  model: string | null;
  tokens: number;
  status: string;
  created_at: string;
}

function expectSession(body: Session): void {
  expect(Object.keys(body).sort()).toEqual(SESSION_FIELDS);
  expect(body.id).toMatch(/^[0-9a-f-]{36}$/i);
  expect(typeof body.name).toBe('string');
  expect(body.created_at).toMatch(ISO_UTC);
  expect(body.updated_at).toMatch(ISO_UTC);
}

function expectMessage(body: Message): void {
  expect(Object.keys(body).sort()).toEqual(MESSAGE_FIELDS);
  expect(['user', 'assistant']).toContain(body.role);
  expect(Number.isInteger(body.tokens) && body.tokens >= 0).toBe(true);
  expect(body.status).toBe('complete');
  expect(body.created_at).toMatch(ISO_UTC);
}

describe('sessions and messages (SPEC §6)', () => {
  let t: TestApp;
  let alice: TestUser;
  let bob: TestUser;

  function call(method: Method, path: string, token?: string, body?: Record<string, unknown>) {
    return send(t, method, path, token, body);
  }

  /** SQL with $1… placeholders on both dialects. */
  const sql = <T = Record<string, unknown>>(text: string, params: unknown[] = []) =>
    dbQuery<T>(t.db, text, params);

  async function count(text: string, params: unknown[]): Promise<number> {
    const [row] = await sql<{ n: string | number }>(text, params);
    return Number(row.n);
  }

  const messageRows = (sessionId: string) =>
    count('SELECT COUNT(*) AS n FROM messages WHERE session_id = $1', [sessionId]);

  async function createSession(token: string, body: Record<string, unknown> = {}) {
    const res = await call('post', SESSIONS, token, body);
    expect(res.status).toBe(201);
    return res.body as Session;
  }

  /** One echo turn: the reply equals the message. */
  async function chat(token: string, sessionId: string | undefined, message: string) {
    const res = await call('post', '/api/v1/chat', token, {
      message,
      ...(sessionId ? { session_id: sessionId } : {}),
    });
    expect(res.status).toBe(200);
    expect(res.body.response).toBe(message);
    return res.body as {
      session_id: string;
      message_id: string;
      tokens: { input: number; output: number };
    };
  }

  /** A session holding one echo turn per message, in order. */
  async function sessionWithTurns(token: string, messages: string[]): Promise<string> {
    const session = await createSession(token, { name: 'with turns' });
    for (const m of messages) await chat(token, session.id, m);
    return session.id;
  }

  async function listMessages(token: string, sessionId: string, query = '') {
    const res = await call('get', `${SESSIONS}/${sessionId}/messages${query}`, token);
    expect(res.status).toBe(200);
    return res.body as { data: Message[]; total: number; limit: number; offset: number };
  }

  beforeAll(async () => {
    t = await startTestApp();
    alice = await createUser(t);
    bob = await createUser(t);
  });
  afterAll(() => t.close());

  it('requires authentication', async () => {
    for (const res of [
      await call('get', SESSIONS),
      await call('post', SESSIONS, undefined, { name: 'x' }),
      await call('delete', `${MESSAGES}/${randomUUID()}`),
    ]) {
      expectError(res, 401, 'UNAUTHORIZED');
    }
  });

  describe('POST /sessions', () => {
    it('creates a session: 201 {id, name, model, created_at, updated_at}', async () => {
      const res = await call('post', SESSIONS, alice.token, { name: 'Trip plans', model: 'echo' });
      expect(res.status).toBe(201);
      expectSession(res.body);
      expect(res.body).toMatchObject({ name: 'Trip plans', model: 'echo' });
      expect(res.body.updated_at).toBe(res.body.created_at);

      const got = await call('get', `${SESSIONS}/${res.body.id}`, alice.token);
      expect(got.status).toBe(200);
      expect(got.body).toEqual(res.body);
    });

    it('accepts an empty body: a named session on the default model (model null)', async () => {
      const res = await call('post', SESSIONS, alice.token, {});
      expect(res.status).toBe(201);
      expectSession(res.body);
      expect(res.body.name.length).toBeGreaterThan(0);
      expect(res.body.model).toBeNull();
    });

    it('accepts a request with no body at all', async () => {
      const res = await t.http().post(SESSIONS).set('Authorization', `Bearer ${alice.token}`);
      expect(res.status).toBe(201);
      expectSession(res.body);
    });

    it('works with an API key', async () => {
      const key = await createApiKey(t, alice.token);
      const res = await call('post', SESSIONS, key, { name: 'via key' });
      expect(res.status).toBe(201);
      const got = await call('get', `${SESSIONS}/${res.body.id}`, alice.token);
      expect(got.status).toBe(200);
    });

    it('keeps a 200-character and a non-ASCII name exactly', async () => {
      const long = 'n'.repeat(200);
      const res = await call('post', SESSIONS, alice.token, { name: long });
      expect(res.status).toBe(201);
      expect(res.body.name).toBe(long);

      const seed = await call('post', SESSIONS, alice.token, { name: '我的会话' });
      expect(seed.status).toBe(201);
      const got = await call('get', `${SESSIONS}/${seed.body.id}`, alice.token);
      expect(got.body.name).toBe('我的会话');
    });

    it('answers the seed example with 404 MODEL_NOT_FOUND naming DEEPSEEK_API_KEY when it is unset', async () => {
      const before = await count('SELECT COUNT(*) AS n FROM sessions', []);
      const res = await call('post', SESSIONS, alice.token, {
        name: '我的会话',
        model: 'deepseek-chat',
      });
      expectError(res, 404, 'MODEL_NOT_FOUND');
      expect(res.body.error.message).toMatch(/DEEPSEEK_API_KEY/);
      expect(await count('SELECT COUNT(*) AS n FROM sessions', [])).toBe(before);
    });

    it.each<[string, RegExp | undefined]>([
      ['gpt-4o', /OPENAI_API_KEY/],
      ['no-such-model', undefined],
      ['deepseek-reasoner', /DEEPSEEK_API_KEY/],
    ])(
      'refuses the unusable model %s with 404 MODEL_NOT_FOUND and creates nothing',
      async (model, names) => {
        const before = await count('SELECT COUNT(*) AS n FROM sessions', []);
        const res = await call('post', SESSIONS, alice.token, { name: 'x', model });
        expectError(res, 404, 'MODEL_NOT_FOUND');
        if (names) expect(res.body.error.message).toMatch(names);
        expect(await count('SELECT COUNT(*) AS n FROM sessions', [])).toBe(before);
      },
    );

    it.each([
      ['an empty name', { name: '' }, 'name'],
      ['a name over 200 characters', { name: 'n'.repeat(201) }, 'name'],
      ['a numeric name', { name: 42 }, 'name'],
      ['an array name', { name: ['a'] }, 'name'],
      ['an object name', { name: { a: 1 } }, 'name'],
      ['a null name', { name: null }, 'name'],
      ['an empty model', { model: '' }, 'model'],
      ['a numeric model', { model: 7 }, 'model'],
      ['a null model', { model: null }, 'model'],
      ['an unknown field', { name: 'ok', color: 'red' }, 'color'],
    ])('rejects %s with 400 VALIDATION_ERROR and creates nothing', async (_label, body, field) => {
      const before = await count('SELECT COUNT(*) AS n FROM sessions', []);
      const res = await call('post', SESSIONS, alice.token, body);
      expectFieldError(res, field);
      expect(await count('SELECT COUNT(*) AS n FROM sessions', [])).toBe(before);
    });

    it('rejects a body that is not an object', async () => {
      const res = await t
        .http()
        .post(SESSIONS)
        .set('Authorization', `Bearer ${alice.token}`)
        .set('Content-Type', 'application/json')
        .send('["a"]');
      expectError(res, 400, 'VALIDATION_ERROR');
    });
  });

  describe('GET /sessions', () => {
    let owner: TestUser;
    let names: string[];

    beforeAll(async () => {
      owner = await createUser(t);
      names = ['first', 'second', 'third'];
      for (const name of names) {
        await createSession(owner.token, { name });
        // Distinct creation times, so the order by creation is unambiguous.
        await sleep(15);
      }
    });

    it('lists the caller’s own sessions with the defaults limit 50, offset 0, newest first', async () => {
      const res = await call('get', SESSIONS, owner.token);
      expect(res.status).toBe(200);
      expect(Object.keys(res.body).sort()).toEqual(['data', 'limit', 'offset', 'total']);
      expect(res.body).toMatchObject({ total: 3, limit: 50, offset: 0 });
      expect(res.body.data.map((s: Session) => s.name)).toEqual([...names].reverse());
      res.body.data.forEach(expectSession);
    });

    it('orders by creation, ascending on request', async () => {
      const res = await call('get', `${SESSIONS}?order=asc`, owner.token);
      expect(res.status).toBe(200);
      expect(res.body.data.map((s: Session) => s.name)).toEqual(names);
    });

    it('pages with limit and offset and always reports the total', async () => {
      const first = await call('get', `${SESSIONS}?limit=2&order=asc`, owner.token);
      expect(first.body).toMatchObject({ total: 3, limit: 2, offset: 0 });
      expect(first.body.data.map((s: Session) => s.name)).toEqual(['first', 'second']);

      const second = await call('get', `${SESSIONS}?limit=2&offset=2&order=asc`, owner.token);
      expect(second.body).toMatchObject({ total: 3, limit: 2, offset: 2 });
      expect(second.body.data.map((s: Session) => s.name)).toEqual(['third']);

      const beyond = await call('get', `${SESSIONS}?offset=3`, owner.token);
      expect(beyond.status).toBe(200);
      expect(beyond.body).toEqual({ data: [], total: 3, limit: 50, offset: 3 });

      const one = await call('get', `${SESSIONS}?limit=1`, owner.token);
      expect(one.body.data.map((s: Session) => s.name)).toEqual(['third']);
      const hundred = await call('get', `${SESSIONS}?limit=100`, owner.token);
      expect(hundred.body).toMatchObject({ total: 3, limit: 100 });
    });

    it('never shows another user’s sessions, not even to an admin', async () => {
      const other = await call('get', `${SESSIONS}?limit=100`, bob.token);
      const admin = await call('get', `${SESSIONS}?limit=100`, t.adminToken);
      for (const res of [other, admin]) {
        expect(res.status).toBe(200);
        expect(res.body.data.map((s: Session) => s.name)).not.toEqual(
          expect.arrayContaining(['first']),
        );
      }
      const fresh = await createUser(t);
      const empty = await call('get', SESSIONS, fresh.token);
      expect(empty.body).toEqual({ data: [], total: 0, limit: 50, offset: 0 });
    });

    it.each(BAD_PAGES)('answers ?%s with 400 VALIDATION_ERROR', async (query) => {
      const res = await call('get', `${SESSIONS}?${query}`, owner.token);
      expectFieldError(res, query.split('=')[0]);
    });

    it('ignores unknown query parameters', async () => {
      const res = await call('get', `${SESSIONS}?color=red`, owner.token);
      expect(res.status).toBe(200);
      expect(res.body.total).toBe(3);
    });
  });

  describe('GET /sessions/:id', () => {
    it('answers the session', async () => {
      const created = await createSession(alice.token, { name: 'one' });
      const res = await call('get', `${SESSIONS}/${created.id}`, alice.token);
      expect(res.status).toBe(200);
      expect(res.body).toEqual(created);
    });

    it('answers an unknown id with 404 SESSION_NOT_FOUND', async () => {
      expectError(
        await call('get', `${SESSIONS}/${randomUUID()}`, alice.token),
        404,
        'SESSION_NOT_FOUND',
      );
    });
  });

  describe('PATCH /sessions/:id', () => {
    it('answers a malformed id with 404 before looking at the body (the id comes first)', async () => {
      expectError(
        await call('patch', `${SESSIONS}/not-a-uuid`, alice.token, { name: 5 }),
        404,
        'SESSION_NOT_FOUND',
      );
      expectError(
        await call('patch', `${SESSIONS}/${randomUUID()}`, alice.token, { name: 5 }),
        400,
        'VALIDATION_ERROR',
      );
    });

    it('renames the session and moves updated_at', async () => {
      const created = await createSession(alice.token, { name: 'old' });
      await sleep(20);
      const res = await call('patch', `${SESSIONS}/${created.id}`, alice.token, { name: 'new' });
      expect(res.status).toBe(200);
      expectSession(res.body);
      expect(res.body).toMatchObject({ id: created.id, name: 'new', model: null });
      expect(res.body.created_at).toBe(created.created_at);
      expect(Date.parse(res.body.updated_at)).toBeGreaterThan(Date.parse(created.updated_at));

      const got = await call('get', `${SESSIONS}/${created.id}`, alice.token);
      expect(got.body).toEqual(res.body);
    });

    it('changes the model, and the next chat in the session uses it', async () => {
      const created = await createSession(alice.token, { name: 'models' });
      await sleep(20);
      const res = await call('patch', `${SESSIONS}/${created.id}`, alice.token, {
        model: 'echo',
      });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ name: 'models', model: 'echo' });
      expect(Date.parse(res.body.updated_at)).toBeGreaterThan(Date.parse(created.updated_at));

      const turn = await call('post', '/api/v1/chat', alice.token, {
        message: 'hi',
        session_id: created.id,
      });
      expect(turn.status).toBe(200);
      expect(turn.body.model).toBe('echo');
    });

    it.each<[string, RegExp | undefined]>([
      ['gpt-4o', /OPENAI_API_KEY/],
      ['deepseek-chat', /DEEPSEEK_API_KEY/],
      ['nope', undefined],
    ])(
      'refuses the unusable model %s with 404 MODEL_NOT_FOUND and changes nothing',
      async (model, names) => {
        const created = await createSession(alice.token, { name: 'keep', model: 'echo' });
        const res = await call('patch', `${SESSIONS}/${created.id}`, alice.token, {
          name: 'changed',
          model,
        });
        expectError(res, 404, 'MODEL_NOT_FOUND');
        if (names) expect(res.body.error.message).toMatch(names);
        const got = await call('get', `${SESSIONS}/${created.id}`, alice.token);
        expect(got.body).toEqual(created);
      },
    );

    it.each([
      ['an empty name', { name: '' }, 'name'],
      ['a name over 200 characters', { name: 'n'.repeat(201) }, 'name'],
      ['a numeric name', { name: 1 }, 'name'],
      ['a null name', { name: null }, 'name'],
      ['a null model', { model: null }, 'model'],
      ['a boolean model', { model: true }, 'model'],
      ['an unknown field', { name: 'ok', user_id: randomUUID() }, 'user_id'],
    ])('rejects %s with 400 VALIDATION_ERROR and changes nothing', async (_l, body, field) => {
      const created = await createSession(alice.token, { name: 'keep', model: 'echo' });
      const res = await call('patch', `${SESSIONS}/${created.id}`, alice.token, body);
      expectFieldError(res, field);
      const got = await call('get', `${SESSIONS}/${created.id}`, alice.token);
      expect(got.body).toEqual(created);
    });
  });

  describe('DELETE /sessions/:id', () => {
    it('answers 204, removes the session with its messages, and then it is a 404', async () => {
      const id = await sessionWithTurns(alice.token, ['one', 'two']);
      expect(await messageRows(id)).toBe(4);

      const res = await call('delete', `${SESSIONS}/${id}`, alice.token);
      expect(res.status).toBe(204);
      expect(res.text).toBe('');

      expect(await messageRows(id)).toBe(0);
      expect(await count('SELECT COUNT(*) AS n FROM sessions WHERE id = $1', [id])).toBe(0);
      expectError(await call('get', `${SESSIONS}/${id}`, alice.token), 404, 'SESSION_NOT_FOUND');
      expectError(
        await call('get', `${SESSIONS}/${id}/messages`, alice.token),
        404,
        'SESSION_NOT_FOUND',
      );
      expectError(
        await call('patch', `${SESSIONS}/${id}`, alice.token, { name: 'x' }),
        404,
        'SESSION_NOT_FOUND',
      );
      expectError(await call('delete', `${SESSIONS}/${id}`, alice.token), 404, 'SESSION_NOT_FOUND');
      const turn = await call('post', '/api/v1/chat', alice.token, {
        message: 'again',
        session_id: id,
      });
      expectError(turn, 404, 'SESSION_NOT_FOUND');
    });

    it('leaves the caller’s other sessions alone', async () => {
      const keep = await sessionWithTurns(alice.token, ['kept']);
      const drop = await sessionWithTurns(alice.token, ['dropped']);
      expect((await call('delete', `${SESSIONS}/${drop}`, alice.token)).status).toBe(204);
      expect(await messageRows(keep)).toBe(2);
      expect((await call('get', `${SESSIONS}/${keep}`, alice.token)).status).toBe(200);
    });
  });

  describe('GET /sessions/:id/messages', () => {
    const turns = ['first', 'second', 'third'];
    let sessionId: string;
    let replies: Awaited<ReturnType<typeof chat>>[];

    beforeAll(async () => {
      const session = await createSession(alice.token, { name: 'history' });
      sessionId = session.id;
      replies = [];
      for (const m of turns) replies.push(await chat(alice.token, sessionId, m));
    });

    it('answers {data, total, limit, offset}, newest first by default', async () => {
      const page = await listMessages(alice.token, sessionId);
      expect(Object.keys(page).sort()).toEqual(['data', 'limit', 'offset', 'total']);
      expect(page).toMatchObject({ total: 6, limit: 50, offset: 0 });
      page.data.forEach(expectMessage);
      expect(page.data.map((m) => [m.role, m.content])).toEqual([
        ['assistant', 'third'],
        ['user', 'third'],
        ['assistant', 'second'],
        ['user', 'second'],
        ['assistant', 'first'],
        ['user', 'first'],
      ]);
    });

    it('orders by sequence ascending on request, the user message before its reply', async () => {
      const page = await listMessages(alice.token, sessionId, '?order=asc');
      expect(page.data.map((m) => [m.role, m.content])).toEqual([
        ['user', 'first'],
        ['assistant', 'first'],
        ['user', 'second'],
        ['assistant', 'second'],
        ['user', 'third'],
        ['assistant', 'third'],
      ]);
    });

    it('describes each message: its session, the model, the tokens and the status', async () => {
      const page = await listMessages(alice.token, sessionId, '?order=asc');
      for (const m of page.data) {
        expect(m.session_id).toBe(sessionId);
        expect(m.model).toBe('echo');
      }
      const assistants = page.data.filter((m) => m.role === 'assistant');
      expect(assistants.map((m) => m.id)).toEqual(replies.map((r) => r.message_id));
      expect(assistants.map((m) => m.tokens)).toEqual(replies.map((r) => r.tokens.output));
      expect(new Set(page.data.map((m) => m.id)).size).toBe(6);
    });

    it('pages: limit=1, limit=100, a middle page, and an offset beyond the end', async () => {
      const one = await listMessages(alice.token, sessionId, '?limit=1');
      expect(one).toMatchObject({ total: 6, limit: 1, offset: 0 });
      expect(one.data.map((m) => [m.role, m.content])).toEqual([['assistant', 'third']]);

      const all = await listMessages(alice.token, sessionId, '?limit=100');
      expect(all).toMatchObject({ total: 6, limit: 100, offset: 0 });
      expect(all.data).toHaveLength(6);

      const middle = await listMessages(alice.token, sessionId, '?limit=2&offset=2&order=asc');
      expect(middle).toMatchObject({ total: 6, limit: 2, offset: 2 });
      expect(middle.data.map((m) => [m.role, m.content])).toEqual([
        ['user', 'second'],
        ['assistant', 'second'],
      ]);

      const last = await listMessages(alice.token, sessionId, '?offset=5');
      expect(last.data.map((m) => [m.role, m.content])).toEqual([['user', 'first']]);

      for (const offset of [6, 1000]) {
        const beyond = await listMessages(alice.token, sessionId, `?offset=${offset}`);
        expect(beyond).toEqual({ data: [], total: 6, limit: 50, offset });
      }
    });

    it.each(BAD_PAGES)('answers ?%s with 400 VALIDATION_ERROR', async (query) => {
      const res = await call('get', `${SESSIONS}/${sessionId}/messages?${query}`, alice.token);
      expectFieldError(res, query.split('=')[0]);
    });

    it('answers an empty session with no messages', async () => {
      const session = await createSession(alice.token);
      const page = await listMessages(alice.token, session.id);
      expect(page).toEqual({ data: [], total: 0, limit: 50, offset: 0 });
    });

    it('keeps the total equal to the stored messages through new, concurrent and later turns and deletions', async () => {
      const opened = await chat(alice.token, undefined, 'opens a session');
      const id = opened.session_id;
      expect((await listMessages(alice.token, id)).total).toBe(2);

      await Promise.all(['a', 'b', 'c', 'd'].map((m) => chat(alice.token, id, m)));
      const before = await listMessages(alice.token, id, '?order=asc&limit=100');
      expect(before.total).toBe(10);
      expect(before.data).toHaveLength(10);

      // The same message deleted twice at once counts once.
      const [x, y] = [before.data[1], before.data[4]];
      const deletes = await Promise.all(
        [x, x, y].map((m) => call('delete', `${MESSAGES}/${m.id}`, alice.token)),
      );
      expect(deletes.map((r) => r.status).sort()).toEqual([204, 204, 404]);
      const after = await listMessages(alice.token, id, '?order=asc&limit=100');
      expect(after.total).toBe(8);
      expect(after.data.map((m) => m.id)).toEqual(
        before.data.filter((m) => m.id !== x.id && m.id !== y.id).map((m) => m.id),
      );

      await chat(alice.token, id, 'later');
      const last = await listMessages(alice.token, id, '?limit=3');
      expect(last.total).toBe(10);
      expect(last.total).toBe(await messageRows(id));
      expect(last.data.map((m) => [m.role, m.content])).toEqual([
        ['assistant', 'later'],
        ['user', 'later'],
        [before.data[9].role, before.data[9].content],
      ]);
      expect((await listMessages(alice.token, sessionId)).total).toBe(6);
    });
  });

  describe('DELETE /messages/:id', () => {
    it('answers 204 and the message leaves the list (the total drops)', async () => {
      const id = await sessionWithTurns(alice.token, ['keep me', 'drop me']);
      const before = await listMessages(alice.token, id, '?order=asc');
      expect(before.total).toBe(4);
      const target = before.data[2];
      expect(target).toMatchObject({ role: 'user', content: 'drop me' });

      const res = await call('delete', `${MESSAGES}/${target.id}`, alice.token);
      expect(res.status).toBe(204);
      expect(res.text).toBe('');

      const after = await listMessages(alice.token, id, '?order=asc');
      expect(after.total).toBe(3);
      expect(after.data.map((m) => m.id)).toEqual(
        before.data.filter((m) => m.id !== target.id).map((m) => m.id),
      );
      expect(await messageRows(id)).toBe(3);

      expectError(
        await call('delete', `${MESSAGES}/${target.id}`, alice.token),
        404,
        'MESSAGE_NOT_FOUND',
      );
    });

    it('keeps the session usable: the next turn comes after the remaining messages', async () => {
      const id = await sessionWithTurns(alice.token, ['a', 'b']);
      const before = await listMessages(alice.token, id, '?order=asc');
      const last = before.data[before.data.length - 1];
      expect((await call('delete', `${MESSAGES}/${last.id}`, alice.token)).status).toBe(204);
      await chat(alice.token, id, 'c');
      const after = await listMessages(alice.token, id, '?order=asc');
      expect(after.data.map((m) => [m.role, m.content])).toEqual([
        ['user', 'a'],
        ['assistant', 'a'],
        ['user', 'b'],
        ['user', 'c'],
        ['assistant', 'c'],
      ]);
    });

    it('answers 404 MESSAGE_NOT_FOUND for another user’s message, an admin included, and keeps it', async () => {
      const id = await sessionWithTurns(alice.token, ['private']);
      const { data } = await listMessages(alice.token, id);
      for (const token of [bob.token, t.adminToken]) {
        for (const m of data) {
          expectError(await call('delete', `${MESSAGES}/${m.id}`, token), 404, 'MESSAGE_NOT_FOUND');
        }
      }
      expect((await listMessages(alice.token, id)).total).toBe(2);
      expect(await messageRows(id)).toBe(2);
    });

    it.each([...MALFORMED_IDS, randomUUID()])(
      'answers the unknown or malformed id %s with 404 MESSAGE_NOT_FOUND',
      async (id) => {
        const res = await call('delete', `${MESSAGES}/${id}`, alice.token);
        expectError(res, 404, 'MESSAGE_NOT_FOUND');
      },
    );

    it('does not take a session id for a message id', async () => {
      const id = await sessionWithTurns(alice.token, ['x']);
      expectError(await call('delete', `${MESSAGES}/${id}`, alice.token), 404, 'MESSAGE_NOT_FOUND');
      expect(await messageRows(id)).toBe(2);
    });
  });

  describe('privacy: another user’s session is a 404 SESSION_NOT_FOUND', () => {
    let session: Session;

    beforeAll(async () => {
      const id = await sessionWithTurns(alice.token, ['secret']);
      session = (await call('get', `${SESSIONS}/${id}`, alice.token)).body;
    });

    it.each([
      ['a user', () => bob.token],
      ['an admin', () => t.adminToken],
    ])('for %s: GET, PATCH, DELETE, messages and chat all answer 404', async (_who, token) => {
      const base = `${SESSIONS}/${session.id}`;
      for (const res of [
        await call('get', base, token()),
        await call('patch', base, token(), { name: 'stolen' }),
        await call('delete', base, token()),
        await call('get', `${base}/messages`, token()),
        await call('get', `${base}/messages?offset=1000`, token()),
        await call('post', '/api/v1/chat', token(), { message: 'hi', session_id: session.id }),
      ]) {
        expectError(res, 404, 'SESSION_NOT_FOUND');
      }
      const got = await call('get', base, alice.token);
      expect(got.body).toEqual(session);
      expect((await listMessages(alice.token, session.id)).total).toBe(2);
    });

    it('answers the same 404 for an unknown id as for another user’s', async () => {
      const foreign = await call('get', `${SESSIONS}/${session.id}`, bob.token);
      const unknown = await call('get', `${SESSIONS}/${randomUUID()}`, bob.token);
      expect(foreign.body).toEqual(unknown.body);
    });
  });

  describe('malformed session ids are a 404 SESSION_NOT_FOUND, never a 400 or a 500', () => {
    it.each(MALFORMED_IDS)('%s', async (raw) => {
      const base = `${SESSIONS}/${raw}`;
      for (const res of [
        await call('get', base, alice.token),
        await call('patch', base, alice.token, { name: 'x' }),
        await call('delete', base, alice.token),
        await call('get', `${base}/messages`, alice.token),
      ]) {
        expectError(res, 404, 'SESSION_NOT_FOUND');
      }
    });

    it('answers a path that is not valid percent-encoding with a 404', async () => {
      for (const path of [
        `${SESSIONS}/%E0%A4%A`,
        `${SESSIONS}/%E0%A4%A/messages`,
        `${MESSAGES}/%E0%A4%A`,
      ]) {
        expectError(await call('get', path, alice.token), 404, 'NOT_FOUND');
      }
      expectError(await call('delete', `${MESSAGES}/%E0%A4%A`, alice.token), 404, 'NOT_FOUND');
    });
  });

  describe('deleting a user', () => {
    it('removes their sessions and messages', async () => {
      const carol = await createUser(t);
      const ids = [
        await sessionWithTurns(carol.token, ['one', 'two']),
        (await chat(carol.token, undefined, 'a new session')).session_id,
      ];
      expect(await count('SELECT COUNT(*) AS n FROM sessions WHERE user_id = $1', [carol.id])).toBe(
        2,
      );

      const res = await call('delete', `/api/v1/users/${carol.id}`, t.adminToken);
      expect(res.status).toBe(204);

      expect(await count('SELECT COUNT(*) AS n FROM sessions WHERE user_id = $1', [carol.id])).toBe(
        0,
      );
      for (const id of ids) expect(await messageRows(id)).toBe(0);
    });
  });
});

describe('sessions with DeepSeek configured (seed example)', () => {
  let t: TestApp;
  let llm: FakeLlm;
  let user: TestUser;

  beforeAll(async () => {
    llm = await startFakeLlm();
    t = await startTestApp({ DEEPSEEK_API_KEY: 'sk-test', DEEPSEEK_BASE_URL: llm.baseURL });
    user = await createUser(t);
  });
  afterAll(async () => {
    await t.close();
    await llm.close();
  });

  it('creates {"name":"我的会话","model":"deepseek-chat"} with 201 and calls no provider', async () => {
    const res = await t
      .http()
      .post(SESSIONS)
      .set('Authorization', `Bearer ${user.token}`)
      .send({ name: '我的会话', model: 'deepseek-chat' });
    expect(res.status).toBe(201);
    expectSession(res.body);
    expect(res.body).toMatchObject({ name: '我的会话', model: 'deepseek-chat' });

    const got = await t
      .http()
      .get(`${SESSIONS}/${res.body.id}`)
      .set('Authorization', `Bearer ${user.token}`);
    expect(got.body).toEqual(res.body);

    const renamed = await t
      .http()
      .patch(`${SESSIONS}/${res.body.id}`)
      .set('Authorization', `Bearer ${user.token}`)
      .send({ model: 'deepseek-reasoner' });
    expect(renamed.status).toBe(200);
    expect(renamed.body.model).toBe('deepseek-reasoner');
    expect(llm.requests).toHaveLength(0);
  });
});
