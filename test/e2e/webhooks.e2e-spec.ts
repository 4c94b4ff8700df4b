import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';

import Redis from 'ioredis';

import { createUser, loginAs, TestUser } from '../factories/users.factory';
import { expectError, expectFieldError } from '../support/expect-error';
import { send } from '../support/http';
import { ISO_UTC, MALFORMED_IDS } from '../support/matchers';
import { flushQueues } from '../support/queues';
import { startApp, TestApp } from '../support/test-app';
import { TEST_REDIS_URL, testEnv } from '../support/test-env';
import { sleep, until } from '../support/wait';
import {
  ReceivedRequest,
  startTrackedReceiver,
  verifyRequest,
  WebhookEvent,
  WebhookReceiver,
} from '../support/webhook-receiver';

const HOOKS = '/api/v1/webhooks';
const SECRET = /^whsec_[A-Za-z0-9+/=]{20,}$/;
const EVENT_ID = /^evt_[A-Za-z0-9]+$/;
const ATTEMPT_FIELDS = [
  'attempt',
  'created_at',
  'duration_ms',
  'error',
  'response_body',
  'status_code',
];

// A Redis database of this file's own (the skills files take 1–14): other test files' apps run
// webhook workers too, and one of them must never take (or flush) the jobs of this app.
const REDIS_URL = (() => {
  const url = new URL(TEST_REDIS_URL);
  url.pathname = '/15';
  return url.toString();
})();

const ENV = {
  REDIS_URL,
  WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
  WEBHOOK_RETRY_SCHEDULE: '300ms,300ms,300ms',
  WEBHOOK_RECONCILE_INTERVAL_MS: '500',
  WEBHOOK_TIMEOUT_MS: '1000',
};
const MAX_ATTEMPTS = 4;
// A literal address, so creating a webhook needs no DNS; nothing listens on the discard port.
const NOWHERE = 'http://127.0.0.1:9';

type Method = 'get' | 'post' | 'patch' | 'delete';

interface Attempt {
  attempt: number;
  status_code: number | null;
  duration_ms: number;
  error: string | null;
  response_body: string | null;
  created_at: string;
}

interface Delivery {
  id: string;
  event_id: string;
  event_type: string;
  status: 'pending' | 'succeeded' | 'failed';
  attempts: Attempt[];
}

interface Hook {
  id: string;
  url: string;
  events: string[];
  active: boolean;
  secret: string;
  created_at: string;
}

/** What a receiver checks: a valid signature, the Standard Webhooks headers and the SPEC payload. */
function verified(secret: string, req: ReceivedRequest): WebhookEvent {
  const event = verifyRequest(secret, req);
  expect(req.method).toBe('POST');
  expect(req.headers['content-type']).toMatch(/^application\/json/);
  expect(Object.keys(event).sort()).toEqual(['created_at', 'data', 'id', 'type']);
  expect(event.id).toMatch(EVENT_ID);
  expect(req.headers['webhook-id']).toBe(event.id);
  expect(req.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/=]+$/);
  expect(Number(req.headers['webhook-timestamp'])).toBeCloseTo(Date.now() / 1000, -2);
  expect(event.created_at).toMatch(ISO_UTC);
  expect(typeof event.data).toBe('object');
  return event;
}

/** A private or loopback name from /etc/hosts, besides localhost, when the machine has one. */
function privateHostNames(): string[] {
  try {
    return readFileSync('/etc/hosts', 'utf8')
      .split('\n')
      .map((l) => l.replace(/#.*/, '').trim().split(/\s+/))
      .filter(([ip]) => isIP(ip ?? '') === 4 && /^(127|10|192\.168)\./.test(ip))
      .flatMap(([, ...names]) => names)
      .filter((n) => n && !/^localhost/i.test(n) && !n.includes('.'))
      .slice(0, 2);
  } catch {
    return [];
  }
}

describe('webhooks (SPEC §9)', () => {
  let t: TestApp;
  let off: TestApp | undefined;
  let mainClosed = false;
  let userA: TestUser;
  let userB: TestUser;
  const receivers: WebhookReceiver[] = [];
  const extraApps: TestApp[] = [];
  let created: { id: string; token: string }[] = [];

  /** The app the tests talk to: the flag-off one once the SSRF tests have started it. */
  const app = () => off ?? t;

  function call(
    method: Method,
    path: string,
    token?: string,
    body?: Record<string, unknown> | unknown[],
  ) {
    return send(app(), method, path, token, body);
  }

  const receiver = () => startTrackedReceiver(receivers);

  /** Creates a webhook that the test's cleanup deletes, so its deliveries stop with the test. */
  async function createHook(token: string, body: Record<string, unknown>): Promise<Hook> {
    const res = await call('post', HOOKS, token, body);
    if (res.status !== 201) throw new Error(`createHook: ${res.status} ${res.text}`);
    created.push({ id: res.body.id, token });
    return res.body as Hook;
  }

  async function deliveries(token: string, hookId: string): Promise<Delivery[]> {
    const res = await call('get', `${HOOKS}/${hookId}/deliveries?limit=100&order=asc`, token);
    expect(res.status).toBe(200);
    return res.body.data as Delivery[];
  }

  async function delivery(token: string, hookId: string, id: string): Promise<Delivery> {
    const res = await call('get', `${HOOKS}/${hookId}/deliveries/${id}`, token);
    expect(res.status).toBe(200);
    return res.body as Delivery;
  }

  /** The webhook's only delivery, once `done` holds for it. */
  async function settled(
    token: string,
    hookId: string,
    done: (d: Delivery) => boolean = (d) => d.status !== 'pending',
    timeoutMs = 8000,
  ): Promise<Delivery> {
    return until(
      `the delivery of webhook ${hookId}`,
      async () => {
        const [d, ...more] = await deliveries(token, hookId);
        expect(more).toEqual([]);
        return d && done(d) ? d : undefined;
      },
      timeoutMs,
    );
  }

  async function chat(token: string, body: Record<string, unknown>): Promise<string> {
    const res = await call('post', '/api/v1/chat', token, body);
    expect(res.status).toBe(200);
    return res.body.session_id as string;
  }

  async function newSession(token: string): Promise<string> {
    const res = await call('post', '/api/v1/sessions', token, { name: 'webhook session' });
    expect(res.status).toBe(201);
    return res.body.id as string;
  }

  /** Hooks that must get nothing: no delivery row was written, and nothing reached the receiver. */
  async function expectNothing(pairs: [string, Hook, WebhookReceiver][]): Promise<void> {
    await sleep(300);
    for (const [token, hook, rx] of pairs) {
      expect({ url: hook.url, deliveries: await deliveries(token, hook.id) }).toEqual({
        url: hook.url,
        deliveries: [],
      });
      expect({ url: hook.url, requests: rx.requests.length }).toEqual({
        url: hook.url,
        requests: 0,
      });
    }
  }

  beforeAll(async () => {
    await flushQueues(REDIS_URL);
    t = await startApp(testEnv(ENV));
    userA = await createUser(t);
    userB = await createUser(t);
  });

  afterEach(async () => {
    for (const { id, token } of created) await call('delete', `${HOOKS}/${id}`, token);
    created = [];
  });

  afterAll(async () => {
    await Promise.all(receivers.map((r) => r.close()));
    for (const extra of extraApps) await extra.close();
    if (off) await off.close();
    if (t && !mainClosed) await t.close();
  });

  describe('CRUD', () => {
    it("creates the seed's webhook as shown: 201 {id, url, events, active, secret, created_at}", async () => {
      // Verbatim from the seed; its host need not resolve from here (delivery checks it again).
      const seed = {
        url: 'https://your-server.com/webhook',
        events: ['message.created', 'session.created'],
      };
      const res = await call('post', HOOKS, userA.token, seed);
      if (res.body?.id) created.push({ id: res.body.id, token: userA.token });
      expect({ status: res.status, body: res.body }).toEqual({
        status: 201,
        body: expect.objectContaining({
          id: expect.stringMatching(/^[0-9a-f-]{36}$/),
          url: seed.url,
          events: seed.events,
          active: true,
          secret: expect.stringMatching(SECRET),
          created_at: expect.stringMatching(ISO_UTC),
        }),
      });
    });

    it('returns the whsec_ secret on create only: GET one and the list never show it', async () => {
      const url = `${NOWHERE}/secret`;
      const res = await call('post', HOOKS, userB.token, {
        url,
        events: ['message.created', 'session.created'],
      });
      expect(res.status).toBe(201);
      created.push({ id: res.body.id, token: userB.token });
      expect(res.body).toEqual(
        expect.objectContaining({
          id: expect.stringMatching(/^[0-9a-f-]{36}$/),
          url,
          events: ['message.created', 'session.created'],
          active: true,
          secret: expect.stringMatching(SECRET),
          created_at: expect.stringMatching(ISO_UTC),
        }),
      );
      const secret = res.body.secret as string;

      const one = await call('get', `${HOOKS}/${res.body.id}`, userB.token);
      expect(one.status).toBe(200);
      const shown = { ...res.body } as Record<string, unknown>;
      delete shown.secret;
      expect(one.body).toEqual(expect.objectContaining(shown));
      expect(one.body).not.toHaveProperty('secret');
      expect(one.text).not.toContain(secret);

      const list = await call('get', HOOKS, userB.token);
      expect(list.status).toBe(200);
      expect(list.body.data).toEqual([expect.objectContaining({ id: res.body.id, url })]);
      expect(list.text).not.toContain(secret);
      expect(list.text).not.toContain('whsec_');
    });

    it('PATCHes url, events and active, never showing the secret; DELETE → 204 then 404', async () => {
      const hook = await createHook(userA.token, {
        url: `${NOWHERE}/a`,
        events: ['message.created'],
      });
      const patched = await call('patch', `${HOOKS}/${hook.id}`, userA.token, {
        url: `${NOWHERE}/b`,
        events: ['session.created', 'session.deleted'],
        active: false,
      });
      expect(patched.status).toBe(200);
      expect(patched.body).toEqual(
        expect.objectContaining({
          id: hook.id,
          url: `${NOWHERE}/b`,
          events: ['session.created', 'session.deleted'],
          active: false,
          created_at: hook.created_at,
        }),
      );
      expect(patched.text).not.toContain(hook.secret);
      const again = await call('patch', `${HOOKS}/${hook.id}`, userA.token, { active: true });
      expect(again.body).toMatchObject({ url: `${NOWHERE}/b`, active: true });

      const got = await call('get', `${HOOKS}/${hook.id}`, userA.token);
      expect(got.body).toMatchObject({
        url: `${NOWHERE}/b`,
        events: ['session.created', 'session.deleted'],
        active: true,
      });

      const del = await call('delete', `${HOOKS}/${hook.id}`, userA.token);
      expect(del.status).toBe(204);
      expect(del.text).toBe('');
      for (const [method, path] of [
        ['get', ''],
        ['patch', ''],
        ['delete', ''],
        ['get', '/deliveries'],
        ['post', '/test'],
        ['post', '/rotate-secret'],
      ] as [Method, string][]) {
        const res = await call(
          method,
          `${HOOKS}/${hook.id}${path}`,
          userA.token,
          method === 'patch' ? { active: false } : undefined,
        );
        expectError(res, 404, 'WEBHOOK_NOT_FOUND');
      }
    });

    it("answers 404 WEBHOOK_NOT_FOUND on every route for another user's webhook, admins included", async () => {
      const rx = await receiver();
      const hook = await createHook(userA.token, { url: rx.url, events: ['session.created'] });
      const test = await call('post', `${HOOKS}/${hook.id}/test`, userA.token);
      expect(test.status).toBe(200);
      const deliveryId = test.body.delivery_id as string;
      const routes: [Method, string, Record<string, unknown>?][] = [
        ['get', `${HOOKS}/${hook.id}`],
        ['patch', `${HOOKS}/${hook.id}`, { active: false, url: `${NOWHERE}/x` }],
        ['delete', `${HOOKS}/${hook.id}`],
        ['get', `${HOOKS}/${hook.id}/deliveries`],
        ['get', `${HOOKS}/${hook.id}/deliveries/${deliveryId}`],
        ['post', `${HOOKS}/${hook.id}/deliveries/${deliveryId}/retry`],
        ['post', `${HOOKS}/${hook.id}/test`],
        ['post', `${HOOKS}/${hook.id}/rotate-secret`],
      ];
      for (const token of [userB.token, t.adminToken]) {
        for (const [method, path, body] of routes) {
          const res = await call(method, path, token, body);
          expectError(res, 404, 'WEBHOOK_NOT_FOUND');
          expect(res.text).not.toContain(hook.secret);
        }
        const list = await call('get', HOOKS, token);
        expect(list.body.data.map((h: Hook) => h.id)).not.toContain(hook.id);
      }

      // Untouched: still active at its URL, one delivery, and still signed with the first secret.
      const got = await call('get', `${HOOKS}/${hook.id}`, userA.token);
      expect(got.body).toMatchObject({ url: rx.url, active: true });
      expect(await deliveries(userA.token, hook.id)).toHaveLength(1);
      const again = await call('post', `${HOOKS}/${hook.id}/test`, userA.token);
      expect(again.body.success).toBe(true);
      expect(rx.requests).toHaveLength(2);
      expect(rx.requests.map((r) => verifyRequest(hook.secret, r).type)).toEqual([
        'webhook.test',
        'webhook.test',
      ]);
    });

    it('answers 404 for malformed ids: WEBHOOK_NOT_FOUND, or DELIVERY_NOT_FOUND for the delivery', async () => {
      const hook = await createHook(userA.token, {
        url: `${NOWHERE}/m`,
        events: ['session.created'],
      });
      for (const id of MALFORMED_IDS) {
        for (const [method, path] of [
          ['get', ''],
          ['patch', ''],
          ['delete', ''],
          ['get', '/deliveries'],
          ['get', `/deliveries/${randomUUID()}`],
          ['post', `/deliveries/${randomUUID()}/retry`],
          ['post', '/test'],
          ['post', '/rotate-secret'],
        ] as [Method, string][]) {
          const res = await call(
            method,
            `${HOOKS}/${id}${path}`,
            userA.token,
            method === 'patch' ? { active: false } : undefined,
          );
          expectError(res, 404, 'WEBHOOK_NOT_FOUND');
        }
        for (const [method, path] of [
          ['get', `/deliveries/${id}`],
          ['post', `/deliveries/${id}/retry`],
        ] as [Method, string][]) {
          expectError(
            await call(method, `${HOOKS}/${hook.id}${path}`, userA.token),
            404,
            'DELIVERY_NOT_FOUND',
          );
        }
      }
      for (const method of ['get', 'patch', 'delete'] as Method[]) {
        expectError(
          await call(
            method,
            `${HOOKS}/${randomUUID()}`,
            userA.token,
            method === 'patch' ? {} : undefined,
          ),
          404,
          'WEBHOOK_NOT_FOUND',
        );
      }
    });

    it('answers 404 DELIVERY_NOT_FOUND for an unknown delivery or one of another webhook', async () => {
      const rx = await receiver();
      const mine = await createHook(userA.token, { url: rx.url, events: ['session.created'] });
      const other = await createHook(userA.token, { url: rx.url, events: ['session.created'] });
      const test = await call('post', `${HOOKS}/${other.id}/test`, userA.token);
      expect(test.status).toBe(200);
      for (const id of [randomUUID(), test.body.delivery_id as string]) {
        expectError(
          await call('get', `${HOOKS}/${mine.id}/deliveries/${id}`, userA.token),
          404,
          'DELIVERY_NOT_FOUND',
        );
        expectError(
          await call('post', `${HOOKS}/${mine.id}/deliveries/${id}/retry`, userA.token),
          404,
          'DELIVERY_NOT_FOUND',
        );
      }
      expect(rx.requests).toHaveLength(1);
    });

    it.each([
      ['an unknown event name', { events: ['message.exploded'] }, 'events'],
      ['events that are not a list', { events: 'message.created' }, 'events'],
      ['no events', { events: undefined }, 'events'],
      ['no url', { url: undefined }, 'url'],
      ['an ftp url', { url: 'ftp://example.com/hook' }, 'url'],
      ['a file url', { url: 'file:///etc/passwd' }, 'url'],
      ['a javascript url', { url: 'javascript:alert(1)' }, 'url'],
      ['a url that is not one', { url: 'not a url' }, 'url'],
      ['an empty url', { url: '' }, 'url'],
      ['a url of 5000 characters', { url: `http://127.0.0.1:9/${'a'.repeat(5000)}` }, 'url'],
      ['a url that is a number', { url: 42 }, 'url'],
      ['an unknown field', { secret: 'whsec_chosenbyme' }, 'secret'],
      ['active, which POST does not take', { active: false }, 'active'],
    ])('refuses a webhook with %s: 400 naming the field', async (_what, patch, field) => {
      const body: Record<string, unknown> = {
        url: `${NOWHERE}/hook`,
        events: ['message.created'],
        ...patch,
      };
      for (const k of Object.keys(body)) if (body[k] === undefined) delete body[k];
      const before = (await call('get', HOOKS, userA.token)).body.total as number;
      const res = await call('post', HOOKS, userA.token, body);
      expectFieldError(res, field);
      expect((await call('get', HOOKS, userA.token)).body.total).toBe(before);
    });

    it('refuses bad PATCH bodies with 400 and leaves the webhook unchanged', async () => {
      const hook = await createHook(userA.token, {
        url: `${NOWHERE}/p`,
        events: ['message.created'],
      });
      for (const [body, field] of [
        [{ events: ['nope'] }, 'events'],
        [{ url: 'ftp://example.com/' }, 'url'],
        [{ active: 'yes' }, 'active'],
        [{ secret: 'whsec_x' }, 'secret'],
      ] as [Record<string, unknown>, string][]) {
        expectFieldError(await call('patch', `${HOOKS}/${hook.id}`, userA.token, body), field);
      }
      const got = await call('get', `${HOOKS}/${hook.id}`, userA.token);
      expect(got.body).toMatchObject({
        url: `${NOWHERE}/p`,
        events: ['message.created'],
        active: true,
      });
    });

    it('accepts "*" for every event its owner may receive', async () => {
      const hook = await createHook(userA.token, { url: `${NOWHERE}/*`, events: ['*'] });
      expect(hook.events).toEqual(['*']);
    });

    it.each(['user.created', 'user.updated', 'config.updated'])(
      'answers 403 FORBIDDEN to a non-admin naming %s, on create and on PATCH; an admin may',
      async (event) => {
        const url = `${NOWHERE}/admin-events`;
        expectError(
          await call('post', HOOKS, userA.token, { url, events: ['session.created', event] }),
          403,
          'FORBIDDEN',
        );
        const hook = await createHook(userA.token, { url, events: ['session.created'] });
        expectError(
          await call('patch', `${HOOKS}/${hook.id}`, userA.token, { events: [event] }),
          403,
          'FORBIDDEN',
        );
        expect((await call('get', `${HOOKS}/${hook.id}`, userA.token)).body.events).toEqual([
          'session.created',
        ]);
        const admin = await createHook(t.adminToken, { url, events: [event] });
        expect(admin.events).toEqual([event]);
      },
    );

    it('pages the list: limit, offset, order, total; out-of-range values are a 400', async () => {
      const u = await createUser(t);
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        ids.push((await createHook(u.token, { url: `${NOWHERE}/${i}`, events: ['*'] })).id);
      }
      const first = await call('get', `${HOOKS}?limit=2`, u.token);
      expect(first.status).toBe(200);
      expect(first.body).toEqual({ data: expect.any(Array), total: 3, limit: 2, offset: 0 });
      expect(first.body.data.map((h: Hook) => h.id)).toEqual([ids[2], ids[1]]);
      const rest = await call('get', `${HOOKS}?limit=2&offset=2`, u.token);
      expect(rest.body).toMatchObject({ total: 3, limit: 2, offset: 2 });
      expect(rest.body.data.map((h: Hook) => h.id)).toEqual([ids[0]]);
      const asc = await call('get', `${HOOKS}?order=asc`, u.token);
      expect(asc.body).toMatchObject({ total: 3, limit: 50, offset: 0 });
      expect(asc.body.data.map((h: Hook) => h.id)).toEqual(ids);
      expect(asc.text).not.toContain('whsec_');
      for (const q of ['limit=0', 'limit=101', 'offset=-1', 'order=sideways', 'limit=abc']) {
        expectError(await call('get', `${HOOKS}?${q}`, u.token), 400, 'VALIDATION_ERROR');
      }
    });
  });

  describe('events reach the right webhooks and no others', () => {
    it('a chat turn: session.created and one message.created per stored message, signed', async () => {
      const [rx, rxOther, rxInactive, rxB, rxAdmin] = await Promise.all(
        Array.from({ length: 5 }, () => receiver()),
      );
      const hook = await createHook(userA.token, {
        url: rx.url,
        events: ['message.created', 'session.created'],
      });
      const other = await createHook(userA.token, {
        url: rxOther.url,
        events: ['session.deleted', 'message.deleted', 'skill.run.completed'],
      });
      const inactive = await createHook(userA.token, { url: rxInactive.url, events: ['*'] });
      expect(
        (await call('patch', `${HOOKS}/${inactive.id}`, userA.token, { active: false })).status,
      ).toBe(200);
      const hookB = await createHook(userB.token, { url: rxB.url, events: ['*'] });
      const hookAdmin = await createHook(t.adminToken, { url: rxAdmin.url, events: ['*'] });

      const sessionId = await chat(userA.token, { message: 'hello webhooks' });
      await rx.waitFor(3);
      const events = rx.requests.map((r) => verified(hook.secret, r));
      expect(events.map((e) => e.type).sort()).toEqual([
        'message.created',
        'message.created',
        'session.created',
      ]);
      expect(new Set(events.map((e) => e.id)).size).toBe(3);
      const session = events.find((e) => e.type === 'session.created')!;
      expect(session.data).toMatchObject({ id: sessionId });
      const messages = events.filter((e) => e.type === 'message.created').map((e) => e.data);
      expect(messages.map((m) => m.role).sort()).toEqual(['assistant', 'user']);
      for (const m of messages) expect(m).toMatchObject({ session_id: sessionId });
      expect(messages.find((m) => m.role === 'user')).toMatchObject({ content: 'hello webhooks' });

      // A second turn in the same session: two messages, no new session.
      await chat(userA.token, { message: 'again', session_id: sessionId });
      await rx.waitFor(5);
      expect(rx.requests.slice(3).map((r) => verified(hook.secret, r).type)).toEqual([
        'message.created',
        'message.created',
      ]);
      const stored = await deliveries(userA.token, hook.id);
      expect(stored).toHaveLength(5);

      await expectNothing([
        [userA.token, other, rxOther],
        [userA.token, inactive, rxInactive],
        [userB.token, hookB, rxB],
        [t.adminToken, hookAdmin, rxAdmin],
      ]);
      expect(rx.requests).toHaveLength(5);
    });

    it('a streamed chat turn emits the same events; a refused turn emits none', async () => {
      const rx = await receiver();
      const hook = await createHook(userA.token, { url: rx.url, events: ['*'] });
      expectError(
        await call('post', '/api/v1/chat', userA.token, { message: 'hi', model: 'gpt-4o' }),
        404,
        'MODEL_NOT_FOUND',
      );
      const res = await call('post', '/api/v1/chat/stream', userA.token, { message: 'streamed' });
      expect(res.status).toBe(200);
      await rx.waitFor(3);
      await sleep(300);
      const events = rx.requests.map((r) => verified(hook.secret, r));
      expect(events.map((e) => e.type).sort()).toEqual([
        'message.created',
        'message.created',
        'session.created',
      ]);
      const sessionId = events.find((e) => e.type === 'session.created')!.data.id;
      for (const e of events.filter((x) => x.type === 'message.created'))
        expect(e.data.session_id).toBe(sessionId);
    });

    it('DELETE /messages/:id → message.deleted, DELETE /sessions/:id → session.deleted', async () => {
      const [rx, rxB] = [await receiver(), await receiver()];
      const hook = await createHook(userA.token, {
        url: rx.url,
        events: ['message.deleted', 'session.deleted'],
      });
      const hookB = await createHook(userB.token, { url: rxB.url, events: ['*'] });
      const sessionId = await chat(userA.token, { message: 'to be deleted' });
      const msgs = await call('get', `/api/v1/sessions/${sessionId}/messages`, userA.token);
      expect(msgs.status).toBe(200);
      const messageId = msgs.body.data[0].id as string;

      expect((await call('delete', `/api/v1/messages/${messageId}`, userA.token)).status).toBe(204);
      const [first] = await rx.waitFor(1);
      expect(verified(hook.secret, first)).toMatchObject({
        type: 'message.deleted',
        data: { id: messageId, session_id: sessionId },
      });

      expect((await call('delete', `/api/v1/sessions/${sessionId}`, userA.token)).status).toBe(204);
      const [, second] = await rx.waitFor(2);
      expect(verified(hook.secret, second)).toMatchObject({
        type: 'session.deleted',
        data: { id: sessionId },
      });

      // B deleting nothing of theirs, and A's failed deletes, emit nothing.
      expectError(
        await call('delete', `/api/v1/sessions/${sessionId}`, userA.token),
        404,
        'SESSION_NOT_FOUND',
      );
      await expectNothing([[userB.token, hookB, rxB]]);
      expect(rx.requests).toHaveLength(2);
    });

    it('skill runs: skill.run.completed and skill.run.failed reach the runner only', async () => {
      const [rx, rxB, rxAdmin] = [await receiver(), await receiver(), await receiver()];
      const ok = `wh-ok-${randomUUID().slice(0, 8)}`;
      const bad = `wh-bad-${randomUUID().slice(0, 8)}`;
      for (const [name, script] of [
        [ok, 'echo hi'],
        [bad, 'exit 1'],
      ]) {
        const res = await call('post', '/api/v1/skills', t.adminToken, { name, script });
        expect(res.status).toBe(201);
      }
      const hook = await createHook(userA.token, {
        url: rx.url,
        events: ['skill.run.completed', 'skill.run.failed'],
      });
      const hookB = await createHook(userB.token, { url: rxB.url, events: ['*'] });
      const hookAdmin = await createHook(t.adminToken, { url: rxAdmin.url, events: ['*'] });

      const run = await call('post', `/api/v1/skills/${ok}/run`, userA.token, {});
      expect(run.status).toBe(200);
      expect(run.body.status).toBe('succeeded');
      const [completed] = await rx.waitFor(1);
      expect(verified(hook.secret, completed)).toMatchObject({
        type: 'skill.run.completed',
        data: { id: run.body.id, skill: ok, status: 'succeeded', exit_code: 0 },
      });
      expect(verifyRequest(hook.secret, completed).data.stdout).toMatch(/^hi\s*$/);

      const failing = await call('post', `/api/v1/skills/${bad}/run`, userA.token, {});
      expect(failing.status).toBe(200);
      expect(failing.body.status).toBe('failed');
      const [, failed] = await rx.waitFor(2);
      expect(verified(hook.secret, failed)).toMatchObject({
        type: 'skill.run.failed',
        data: { id: failing.body.id, skill: bad, status: 'failed', exit_code: 1 },
      });

      await expectNothing([
        [userB.token, hookB, rxB],
        [t.adminToken, hookAdmin, rxAdmin],
      ]);
      expect(rx.requests).toHaveLength(2);
    });

    it("POST and PATCH /users → user.created and user.updated, to admins' webhooks only", async () => {
      const admin2 = await createUser(t, 'admin');
      const [rx1, rx2, rxA] = [await receiver(), await receiver(), await receiver()];
      const hook1 = await createHook(t.adminToken, { url: rx1.url, events: ['*'] });
      const hook2 = await createHook(admin2.token, {
        url: rx2.url,
        events: ['user.created', 'user.updated'],
      });
      const hookA = await createHook(userA.token, { url: rxA.url, events: ['*'] });

      const email = `hooked-${randomUUID().slice(0, 8)}@example.test`;
      const password = `password-${randomUUID()}`;
      const made = await call('post', '/api/v1/users', t.adminToken, { email, password });
      expect(made.status).toBe(201);
      for (const [rx, hook] of [
        [rx1, hook1],
        [rx2, hook2],
      ] as const) {
        const [req] = await rx.waitFor(1);
        expect(verified(hook.secret, req)).toMatchObject({
          type: 'user.created',
          data: { id: made.body.id, email },
        });
        expect(req.rawBody).not.toContain(password);
        expect(req.rawBody).not.toMatch(/argon2|password/i);
      }

      const patched = await call('patch', `/api/v1/users/${made.body.id}`, t.adminToken, {
        name: 'Renamed by admin',
      });
      expect(patched.status).toBe(200);
      for (const [rx, hook] of [
        [rx1, hook1],
        [rx2, hook2],
      ] as const) {
        const [, req] = await rx.waitFor(2);
        expect(verified(hook.secret, req)).toMatchObject({
          type: 'user.updated',
          data: { id: made.body.id, name: 'Renamed by admin' },
        });
      }
      // Both webhooks saw the same two events.
      expect(rx1.requests.map((r) => r.headers['webhook-id'])).toEqual(
        rx2.requests.map((r) => r.headers['webhook-id']),
      );

      await expectNothing([[userA.token, hookA, rxA]]);
      expect(rx1.requests).toHaveLength(2);
      expect(rx2.requests).toHaveLength(2);
    });

    it('a change that is refused emits nothing: a 409 on PATCH /users writes no event', async () => {
      const victim = await createUser(t);
      const rx = await receiver();
      const hook = await createHook(t.adminToken, { url: rx.url, events: ['*'] });
      const res = await call('patch', `/api/v1/users/${victim.id}`, t.adminToken, {
        email: userA.email,
      });
      expectError(res, 409, 'CONFLICT');
      await expectNothing([[t.adminToken, hook, rx]]);
    });

    it('a demoted admin stops getting admin events on the webhooks they made as an admin', async () => {
      const admin3 = await createUser(t, 'admin');
      const [rx3, rx1] = [await receiver(), await receiver()];
      const hook3 = await createHook(admin3.token, { url: rx3.url, events: ['user.created'] });
      const hook1 = await createHook(t.adminToken, { url: rx1.url, events: ['user.created'] });
      const demoted = await call('patch', `/api/v1/users/${admin3.id}`, t.adminToken, {
        role: 'user',
      });
      expect(demoted.status).toBe(200);
      const made = await call('post', '/api/v1/users', t.adminToken, {
        email: `after-demotion-${randomUUID().slice(0, 8)}@example.test`,
        password: `password-${randomUUID()}`,
      });
      expect(made.status).toBe(201);
      const [req] = await rx1.waitFor(1);
      expect(verified(hook1.secret, req).data.id).toBe(made.body.id);
      // The demotion revoked admin3's JWT.
      await expectNothing([[await loginAs(t, admin3), hook3, rx3]]);
    });

    it("PATCH /config → config.updated, to admins' webhooks only", async () => {
      const [rxAdmin, rxA] = [await receiver(), await receiver()];
      const hook = await createHook(t.adminToken, { url: rxAdmin.url, events: ['config.updated'] });
      const hookA = await createHook(userA.token, { url: rxA.url, events: ['*'] });

      expectError(
        await call('patch', '/api/v1/config', userA.token, { temperature: 0.1 }),
        403,
        'FORBIDDEN',
      );
      const res = await call('patch', '/api/v1/config', t.adminToken, { temperature: 0.3 });
      expect(res.status).toBe(200);
      const [req] = await rxAdmin.waitFor(1);
      expect(verified(hook.secret, req)).toMatchObject({
        type: 'config.updated',
        data: { temperature: 0.3 },
      });
      await expectNothing([[userA.token, hookA, rxA]]);
      expect(rxAdmin.requests).toHaveLength(1);
    });
  });

  describe('a webhook change made on one replica applies on another at once', () => {
    let replica: TestApp;

    async function chatOn(on: TestApp, token: string): Promise<void> {
      const res = await on
        .http()
        .post('/api/v1/chat')
        .set('Authorization', `Bearer ${token}`)
        .send({ message: 'which replica?' });
      expect(res.status).toBe(200);
    }

    beforeAll(async () => {
      replica = await startApp(t.env, { reset: false });
      // Closed with the others at the end: the apps of one test process share passport's
      // strategies, and closing the last one started would leave the others unable to log in.
      extraApps.push(replica);
    });

    it('a webhook created, switched off or deleted on one replica counts for the next turn on the other', async () => {
      const user = await createUser(t);
      // The replica has just seen this user emit with no webhook at all.
      await chatOn(replica, user.token);
      const rx = await receiver();
      const hook = await createHook(user.token, { url: rx.url, events: ['message.created'] });

      await chatOn(replica, user.token);
      await rx.waitFor(2);
      expect(rx.requests.map((r) => verified(hook.secret, r).type)).toEqual([
        'message.created',
        'message.created',
      ]);

      const paused = await call('patch', `${HOOKS}/${hook.id}`, user.token, { active: false });
      expect(paused.status).toBe(200);
      await chatOn(replica, user.token);
      await sleep(300);
      expect(await deliveries(user.token, hook.id)).toHaveLength(2);

      const resumed = await call('patch', `${HOOKS}/${hook.id}`, user.token, { active: true });
      expect(resumed.status).toBe(200);
      await chatOn(replica, user.token);
      await rx.waitFor(4);

      expect((await call('delete', `${HOOKS}/${hook.id}`, user.token)).status).toBe(204);
      created = created.filter((c) => c.id !== hook.id);
      await chatOn(replica, user.token);
      await sleep(300);
      expect(rx.requests).toHaveLength(4);
    });

    it('an admin demoted on one replica gets no admin events from the other', async () => {
      const admin3 = await createUser(t, 'admin');
      const rx = await receiver();
      const hook = await createHook(admin3.token, { url: rx.url, events: ['user.created'] });
      const newUser = (on: TestApp) =>
        on
          .http()
          .post('/api/v1/users')
          .set('Authorization', `Bearer ${t.adminToken}`)
          .send({
            email: `replica-${randomUUID().slice(0, 8)}@example.test`,
            password: `password-${randomUUID()}`,
          });
      expect((await newUser(replica)).status).toBe(201);
      await rx.waitFor(1);

      const demoted = await call('patch', `/api/v1/users/${admin3.id}`, t.adminToken, {
        role: 'user',
      });
      expect(demoted.status).toBe(200);
      expect((await newUser(replica)).status).toBe(201);
      await sleep(300);
      expect(rx.requests).toHaveLength(1);
      expect(await deliveries(await loginAs(t, admin3), hook.id)).toHaveLength(1);
    });

    const newUserOn = (on: TestApp) =>
      on
        .http()
        .post('/api/v1/users')
        .set('Authorization', `Bearer ${t.adminToken}`)
        .send({
          email: `replica-${randomUUID().slice(0, 8)}@example.test`,
          password: `password-${randomUUID()}`,
        });

    it('a user promoted on one replica gets admin events from the other at once', async () => {
      const user = await createUser(t);
      const rx = await receiver();
      const hook = await createHook(user.token, { url: rx.url, events: ['*'] });
      // The replica now knows the admins' webhooks, without this one.
      expect((await newUserOn(replica)).status).toBe(201);

      const promoted = await call('patch', `/api/v1/users/${user.id}`, t.adminToken, {
        role: 'admin',
      });
      expect(promoted.status).toBe(200);
      expect((await newUserOn(replica)).status).toBe(201);
      // Their own promotion already reaches them as an admin event.
      await rx.waitFor(2);
      expect(rx.requests.map((r) => verified(hook.secret, r).type).sort()).toEqual([
        'user.created',
        'user.updated',
      ]);
    });

    it('an admin deleted on one replica: the other still creates users and sends their webhooks nothing', async () => {
      const admin4 = await createUser(t, 'admin');
      const rx = await receiver();
      await createHook(admin4.token, { url: rx.url, events: ['user.created'] });
      expect((await newUserOn(replica)).status).toBe(201);
      await rx.waitFor(1);

      expect((await call('delete', `/api/v1/users/${admin4.id}`, t.adminToken)).status).toBe(204);
      // A stale subscriber would point a delivery at a webhook deleted with its owner.
      expect((await newUserOn(replica)).status).toBe(201);
      await sleep(300);
      expect(rx.requests).toHaveLength(1);
    });
  });

  describe('delivery, retries and the attempt log', () => {
    it('retries until success with the same webhook-id: attempts [500, 500, 200]', async () => {
      const rx = await receiver();
      rx.answer(500, 500);
      const hook = await createHook(userA.token, { url: rx.url, events: ['session.created'] });
      const sessionId = await newSession(userA.token);
      const d = await settled(userA.token, hook.id);
      expect(d.status).toBe('succeeded');
      expect(d.event_type).toBe('session.created');
      expect(d.attempts.map((a) => [a.attempt, a.status_code])).toEqual([
        [1, 500],
        [2, 500],
        [3, 200],
      ]);
      for (const a of d.attempts) {
        expect(Object.keys(a).sort()).toEqual(ATTEMPT_FIELDS);
        expect(a.created_at).toMatch(ISO_UTC);
        expect(a.duration_ms).toEqual(expect.any(Number));
      }
      expect(d.attempts[0].error).toEqual(expect.any(String));
      expect(d.attempts[2].error).toBeNull();

      expect(rx.requests).toHaveLength(3);
      const events = rx.requests.map((r) => verified(hook.secret, r));
      expect(new Set(rx.requests.map((r) => r.headers['webhook-id']))).toEqual(
        new Set([d.event_id]),
      );
      expect(new Set(rx.requests.map((r) => r.rawBody)).size).toBe(1);
      expect(events[0]).toMatchObject({ id: d.event_id, data: { id: sessionId } });
      // The retry schedule is respected: no attempt before its delay.
      expect(rx.requests[1].at - rx.requests[0].at).toBeGreaterThanOrEqual(250);
      expect(rx.requests[2].at - rx.requests[1].at).toBeGreaterThanOrEqual(250);
    });

    it('gives up after the schedule plus one attempts; a manual retry then delivers it', async () => {
      const rx = await receiver();
      rx.setDefault({ status: 503, body: 'down for maintenance' });
      const hook = await createHook(userA.token, { url: rx.url, events: ['session.created'] });
      await newSession(userA.token);
      const d = await settled(userA.token, hook.id);
      expect(d.status).toBe('failed');
      expect(d.attempts.map((a) => a.status_code)).toEqual(Array(MAX_ATTEMPTS).fill(503));
      expect(d.attempts.map((a) => a.attempt)).toEqual([1, 2, 3, 4]);
      expect(d.attempts[3].response_body).toBe('down for maintenance');
      await sleep(800);
      expect(rx.requests).toHaveLength(MAX_ATTEMPTS);
      expect((await delivery(userA.token, hook.id, d.id)).status).toBe('failed');

      rx.setDefault(200);
      const retry = await call('post', `${HOOKS}/${hook.id}/deliveries/${d.id}/retry`, userA.token);
      expect([200, 202]).toContain(retry.status);
      expect(retry.body.id).toBe(d.id);
      const done = await settled(userA.token, hook.id, (x) => x.status === 'succeeded');
      expect(done.attempts.map((a) => a.status_code)).toEqual([503, 503, 503, 503, 200]);
      expect(rx.requests).toHaveLength(MAX_ATTEMPTS + 1);
      expect(new Set(rx.requests.map((r) => verified(hook.secret, r).id))).toEqual(
        new Set([d.event_id]),
      );
    });

    it('410 Gone fails the delivery at once and disables the webhook', async () => {
      const rx = await receiver();
      rx.setDefault(410);
      const hook = await createHook(userA.token, { url: rx.url, events: ['session.created'] });
      await newSession(userA.token);
      const d = await settled(userA.token, hook.id);
      expect(d.status).toBe('failed');
      expect(d.attempts.map((a) => a.status_code)).toEqual([410]);
      expect((await call('get', `${HOOKS}/${hook.id}`, userA.token)).body.active).toBe(false);

      await newSession(userA.token);
      await sleep(600);
      expect(await deliveries(userA.token, hook.id)).toHaveLength(1);
      expect(rx.requests).toHaveLength(1);
    });

    it('an answer slower than WEBHOOK_TIMEOUT_MS is a timed-out attempt, then retried', async () => {
      const rx = await receiver();
      rx.answer({ status: 200, delayMs: 2500 });
      const hook = await createHook(userA.token, { url: rx.url, events: ['session.created'] });
      await newSession(userA.token);
      const d = await settled(userA.token, hook.id);
      expect(d.status).toBe('succeeded');
      expect(d.attempts).toHaveLength(2);
      expect(d.attempts[0]).toMatchObject({
        status_code: null,
        error: expect.stringMatching(/timed out/i),
      });
      expect(d.attempts[0].duration_ms).toBeGreaterThanOrEqual(900);
      expect(d.attempts[0].duration_ms).toBeLessThan(2500);
      expect(d.attempts[1]).toMatchObject({ status_code: 200, error: null });
      expect(new Set(rx.requests.map((r) => r.headers['webhook-id'])).size).toBe(1);
    });

    it('does not follow redirects: a 302 is a failed attempt and its Location gets nothing', async () => {
      const [rx, target] = [await receiver(), await receiver()];
      rx.answer({ status: 302, headers: { Location: target.url } });
      const hook = await createHook(userA.token, { url: rx.url, events: ['session.created'] });
      await newSession(userA.token);
      const d = await settled(userA.token, hook.id);
      expect(d.attempts.map((a) => a.status_code)).toEqual([302, 200]);
      expect(d.attempts[0].error).toEqual(expect.any(String));
      expect(d.status).toBe('succeeded');
      expect(rx.requests).toHaveLength(2);
      expect(target.requests).toHaveLength(0);
    });

    it('keeps the first 1 KiB of the answer as response_body', async () => {
      const rx = await receiver();
      const big = 'abcdefghijklmnop'.repeat(320); // 5 KiB
      rx.setDefault({ status: 200, body: big });
      const hook = await createHook(userA.token, { url: rx.url, events: ['session.created'] });
      await newSession(userA.token);
      const d = await settled(userA.token, hook.id);
      expect(d.status).toBe('succeeded');
      const body = d.attempts[0].response_body!;
      expect(Buffer.byteLength(body)).toBe(1024);
      expect(body).toBe(big.slice(0, 1024));
    });

    it('lists deliveries page by page, newest first unless order=asc', async () => {
      const rx = await receiver();
      const hook = await createHook(userA.token, { url: rx.url, events: ['session.created'] });
      for (let i = 0; i < 3; i++) await newSession(userA.token);
      await rx.waitFor(3);
      const all = await until('three settled deliveries', async () => {
        const ds = await deliveries(userA.token, hook.id);
        return ds.length === 3 && ds.every((d) => d.status === 'succeeded') && ds;
      });
      const ids = all.map((d) => d.id);
      const page1 = await call('get', `${HOOKS}/${hook.id}/deliveries?limit=2`, userA.token);
      expect(page1.status).toBe(200);
      expect(page1.body).toMatchObject({ total: 3, limit: 2, offset: 0 });
      expect(page1.body.data.map((d: Delivery) => d.id)).toEqual([ids[2], ids[1]]);
      const page2 = await call(
        'get',
        `${HOOKS}/${hook.id}/deliveries?limit=2&offset=2`,
        userA.token,
      );
      expect(page2.body).toMatchObject({ total: 3, limit: 2, offset: 2 });
      expect(page2.body.data.map((d: Delivery) => d.id)).toEqual([ids[0]]);
      for (const d of page1.body.data as Delivery[]) {
        expect(d).toMatchObject({ status: 'succeeded', event_type: 'session.created' });
        expect(d.event_id).toMatch(EVENT_ID);
        expect(d.attempts).toHaveLength(1);
      }
      const one = await delivery(userA.token, hook.id, ids[0]);
      expect(one).toEqual(all[0]);
      expect(JSON.stringify(page1.body)).not.toContain(hook.secret);
      for (const q of ['limit=0', 'limit=101', 'offset=-1', 'order=up']) {
        expectError(
          await call('get', `${HOOKS}/${hook.id}/deliveries?${q}`, userA.token),
          400,
          'VALIDATION_ERROR',
        );
      }
    });
  });

  describe('POST /webhooks/:id/test and rotate-secret', () => {
    it('sends a signed webhook.test once and reports how it went', async () => {
      const rx = await receiver();
      const hook = await createHook(userA.token, { url: rx.url, events: ['session.created'] });
      const res = await call('post', `${HOOKS}/${hook.id}/test`, userA.token);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        delivery_id: expect.any(String),
        success: true,
        status_code: 200,
        duration_ms: expect.any(Number),
        error: null,
      });
      expect(rx.requests).toHaveLength(1);
      const event = verified(hook.secret, rx.requests[0]);
      expect(event.type).toBe('webhook.test');
      const d = await delivery(userA.token, hook.id, res.body.delivery_id);
      expect(d).toMatchObject({ status: 'succeeded', event_id: event.id });

      rx.setDefault({ status: 503, body: 'nope' });
      const failed = await call('post', `${HOOKS}/${hook.id}/test`, userA.token);
      expect(failed.status).toBe(200);
      expect(failed.body).toMatchObject({
        success: false,
        status_code: 503,
        error: expect.any(String),
      });
      await sleep(800);
      expect(rx.requests).toHaveLength(2);
    });

    it('rotate-secret → 200 with a new whsec_ secret; later deliveries verify with it only', async () => {
      const rx = await receiver();
      const hook = await createHook(userA.token, { url: rx.url, events: ['session.created'] });
      const res = await call('post', `${HOOKS}/${hook.id}/rotate-secret`, userA.token);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id: hook.id, url: rx.url, active: true });
      expect(res.body.secret).toMatch(SECRET);
      expect(res.body.secret).not.toBe(hook.secret);
      const got = await call('get', `${HOOKS}/${hook.id}`, userA.token);
      expect(got.text).not.toContain(res.body.secret);

      await newSession(userA.token);
      const [req] = await rx.waitFor(1);
      expect(verified(res.body.secret, req).type).toBe('session.created');
      expect(() => verifyRequest(hook.secret, req)).toThrow();
      await call('post', `${HOOKS}/${hook.id}/test`, userA.token);
      const [, test] = await rx.waitFor(2);
      expect(verified(res.body.secret, test).type).toBe('webhook.test');
      expect(() => verifyRequest(hook.secret, test)).toThrow();
    });
  });

  it('delivers a burst of events each exactly once, each under its own id', async () => {
    const rx = await receiver();
    const hook = await createHook(userA.token, { url: rx.url, events: ['session.created'] });
    const ids = await Promise.all(Array.from({ length: 12 }, () => newSession(userA.token)));
    await rx.waitFor(12);
    await sleep(500);
    const events = rx.requests.map((r) => verified(hook.secret, r));
    expect(events.map((e) => e.data.id as string).sort()).toEqual([...ids].sort());
    expect(new Set(events.map((e) => e.id)).size).toBe(12);
    const ds = await deliveries(userA.token, hook.id);
    expect(ds.map((d) => d.status)).toEqual(Array(12).fill('succeeded'));
  });

  it('loses nothing when Redis is flushed while a delivery is pending', async () => {
    const redis = new Redis(REDIS_URL);
    try {
      const rx = await receiver();
      rx.setDefault(500);
      const hook = await createHook(userA.token, { url: rx.url, events: ['session.created'] });
      await newSession(userA.token);
      const [pending] = await until('the delivery row', async () => {
        const ds = await deliveries(userA.token, hook.id);
        return ds.length > 0 && ds;
      });
      // The first attempt failed and queued its retry: delete every BullMQ key before it runs.
      const retryJob = `openclaw:bull:webhook-deliveries:${pending.id}_2`;
      await until('the retry job', async () => (await redis.exists(retryJob)) === 1, 5000, 5);
      const keys = await redis.keys('openclaw:bull:*');
      if (keys.length > 0) await redis.del(...keys);
      rx.setDefault(200);
      expect(await redis.exists(retryJob)).toBe(0);
      expect(rx.requests).toHaveLength(1);

      const d = await settled(userA.token, hook.id, undefined, 10_000);
      expect(d.status).toBe('succeeded');
      expect(d.attempts.map((a) => a.status_code)).toEqual([500, 200]);
      expect(new Set(rx.requests.map((r) => verified(hook.secret, r).id))).toEqual(
        new Set([d.event_id]),
      );
    } finally {
      await redis.quit();
    }
  });

  describe('SSRF guard with WEBHOOK_ALLOW_PRIVATE_URLS off', () => {
    let owner: TestUser;
    let early: Hook;
    let rx: WebhookReceiver;

    beforeAll(async () => {
      // Made while the flag was on; the same database then serves an app with the flag off.
      owner = await createUser(t);
      rx = await receiver();
      const res = await call('post', HOOKS, owner.token, { url: rx.url, events: ['*'] });
      expect(res.status).toBe(201);
      early = res.body as Hook;
      mainClosed = true;
      await t.close();
      // The replica (private URLs allowed) must not deliver this app's events.
      for (const extra of extraApps.splice(0)) await extra.close();
      off = await startApp(
        testEnv({
          ...ENV,
          DATABASE_URL: t.env.DATABASE_URL,
          DATA_DIR: t.env.DATA_DIR,
          WEBHOOK_ALLOW_PRIVATE_URLS: 'false',
        }),
        { reset: false },
      );
    });

    const refused = [
      'http://127.0.0.1/hook',
      'http://127.0.0.1:8080/hook',
      'https://127.0.0.1/hook',
      'http://localhost/hook',
      'http://localhost:3000/api/v1/webhooks',
      'http://LOCALHOST/hook',
      'http://10.0.0.1/',
      'http://192.168.1.1/',
      'http://172.16.0.1/',
      'http://169.254.169.254/latest/meta-data',
      'http://[::1]/',
      'http://[::ffff:127.0.0.1]/',
      'http://[::ffff:169.254.169.254]/',
      'http://[fd00::1]/',
      'http://[fe80::1]/',
      'http://[::]/',
      'http://0.0.0.0/',
      'http://0/',
      'http://127.1/',
      'http://2130706433/',
      'http://0x7f.0.0.1/',
      'http://100.64.0.1/',
      ...privateHostNames().map((n) => `http://${n}/hook`),
    ];

    it.each(refused)('refuses to create a webhook for %s: 400 naming url', async (url) => {
      const before = (await call('get', HOOKS, owner.token)).body.total as number;
      const res = await call('post', HOOKS, owner.token, { url, events: ['session.created'] });
      expectFieldError(res, 'url');
      expect(
        res.body.error.details.fields.find((f: { field: string }) => f.field === 'url').message,
      ).toMatch(/refused|private|reserved|resolv/i);
      expect((await call('get', HOOKS, owner.token)).body.total).toBe(before);
    });

    it('still accepts a public address', async () => {
      const hook = await createHook(owner.token, {
        url: 'https://8.8.8.8/hook',
        events: ['skill.run.failed'],
      });
      expect(hook.url).toBe('https://8.8.8.8/hook');
    });

    it('refuses a PATCH to a private URL and keeps the old one', async () => {
      for (const url of ['http://10.0.0.1/', 'http://localhost/x', 'http://[::1]/']) {
        expectFieldError(await call('patch', `${HOOKS}/${early.id}`, owner.token, { url }), 'url');
      }
      expect((await call('get', `${HOOKS}/${early.id}`, owner.token)).body.url).toBe(rx.url);
    });

    it('refuses a private address again at delivery: the attempt says refused, the receiver gets nothing', async () => {
      await newSession(owner.token);
      const d = await settled(owner.token, early.id);
      expect(d.status).toBe('failed');
      expect(d.attempts).toHaveLength(MAX_ATTEMPTS);
      for (const a of d.attempts) {
        expect(a.status_code).toBeNull();
        expect(a.error).toMatch(/refused/i);
      }
      const test = await call('post', `${HOOKS}/${early.id}/test`, owner.token);
      expect(test.status).toBe(200);
      expect(test.body).toMatchObject({
        success: false,
        status_code: null,
        error: expect.stringMatching(/refused/i),
      });
      expect(rx.requests).toHaveLength(0);
    });
  });
});
