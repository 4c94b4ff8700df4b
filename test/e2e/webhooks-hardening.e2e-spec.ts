import { randomBytes, randomUUID } from 'node:crypto';

import type { Response } from 'supertest';

import { SecretBox } from '../../src/core/secrets/secret-box';
import { SkillRunEntity } from '../../src/skills/entities/skill-run.entity';
import { WebhookEntity } from '../../src/webhooks/entities/webhook.entity';
import { WebhookAttemptEntity } from '../../src/webhooks/entities/webhook-attempt.entity';
import { WebhookDeliveryEntity } from '../../src/webhooks/entities/webhook-delivery.entity';
import { WebhookEventEntity } from '../../src/webhooks/entities/webhook-event.entity';
import { createUser, loginAs, TestUser } from '../factories/users.factory';
import { expectError } from '../support/expect-error';
import { spawnServer } from '../support/server-process';
import { startApp, TestApp } from '../support/test-app';
import { testEnv } from '../support/test-env';
import { sleep, until } from '../support/wait';
import { startTrackedReceiver, verifyRequest, WebhookReceiver } from '../support/webhook-receiver';

const HOOKS = '/api/v1/webhooks';
const DAY_MS = 86_400_000;
const ENV = {
  WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
  WEBHOOK_RETRY_SCHEDULE: '1s,1s',
  WEBHOOK_RECONCILE_INTERVAL_MS: '500',
  WEBHOOK_TIMEOUT_MS: '1000',
};
// Keys in both accepted formats: 64 hex characters, or the base64 of 32 bytes.
const K1 = randomBytes(32).toString('hex');
const K2 = randomBytes(32).toString('base64');
const K3 = randomBytes(32).toString('hex');

function as(t: TestApp, token: string) {
  return {
    post: (path: string, body?: object) =>
      t.http().post(path).set('Authorization', `Bearer ${token}`).send(body),
    get: (path: string) => t.http().get(path).set('Authorization', `Bearer ${token}`),
    patch: (path: string, body: object) =>
      t.http().patch(path).set('Authorization', `Bearer ${token}`).send(body),
    delete: (path: string) => t.http().delete(path).set('Authorization', `Bearer ${token}`),
  };
}

async function storedSecret(t: TestApp, id: string): Promise<string> {
  return (await t.db.getRepository(WebhookEntity).findOneByOrFail({ id })).secret;
}

function deliveriesOf(t: TestApp, webhookId: string): Promise<WebhookDeliveryEntity[]> {
  return t.db.getRepository(WebhookDeliveryEntity).find({ where: { webhookId } });
}

describe('webhooks hardening (SPEC §9)', () => {
  const receivers: WebhookReceiver[] = [];
  const receiver = () => startTrackedReceiver(receivers);

  afterAll(async () => {
    await Promise.all(receivers.map((r) => r.close()));
  });

  it('a malformed SECRETS_KEY stops start-up with one line saying the format, never the value', async () => {
    const bad = `${K1},not-a-key-hunter2`;
    const server = spawnServer({ DATABASE_URL: 'sqlite:./data/openclaw.db', SECRETS_KEY: bad });
    const { code } = await server.exited;
    const out = server.output().trim();
    expect(code).toBe(1);
    expect(out).toMatch(
      /SECRETS_KEY must be a comma-separated list .*64 hex characters or .*base64/,
    );
    expect(out.split('\n')).toHaveLength(1);
    expect(out).not.toContain('hunter2');
    expect(out).not.toContain(K1);
  });

  describe('with private URLs refused and MAX_WEBHOOKS_PER_USER=3', () => {
    let t: TestApp;
    let user: TestUser;

    beforeAll(async () => {
      t = await startApp(testEnv({ MAX_WEBHOOKS_PER_USER: '3' }));
      user = await createUser(t);
    });
    afterAll(async () => {
      await t?.close();
    });

    // Every range of §9, written as URL hosts; none needs DNS.
    const refused: [range: string, url: string][] = [
      ['v4 loopback', 'http://127.0.0.1/'],
      ['v4 loopback, other address', 'http://127.8.9.10/'],
      ['v4 private 10/8', 'http://10.1.2.3/'],
      ['v4 private 172.16/12', 'http://172.31.255.254/'],
      ['v4 private 192.168/16', 'http://192.168.0.1/'],
      ['v4 link-local', 'http://169.254.1.1/'],
      ['v4 metadata', 'http://169.254.169.254/latest/meta-data/'],
      ['v4 CGNAT', 'http://100.64.0.1/'],
      ['v4 CGNAT (Alibaba metadata)', 'http://100.100.100.200/'],
      ['v4 multicast', 'http://224.0.0.1/'],
      ['v4 unspecified', 'http://0.0.0.0/'],
      ['v4 0/8', 'http://0.1.2.3/'],
      ['v4 reserved 240/4', 'http://240.0.0.1/'],
      ['v4 broadcast', 'http://255.255.255.255/'],
      ['v4 benchmarking 198.18/15', 'http://198.18.0.1/'],
      ['v4 documentation', 'http://192.0.2.1/'],
      ['v4 loopback in hex', 'http://0x7f.0.0.1/'],
      ['v4 loopback as one number', 'http://2130706433/'],
      ['v6 loopback', 'http://[::1]/'],
      ['v6 unspecified', 'http://[::]/'],
      ['v6 unique-local fc00::/7', 'http://[fc00::1]/'],
      ['v6 unique-local fd00::/8', 'http://[fd00:ec2::254]/'],
      ['v6 link-local', 'http://[fe80::1]/'],
      ['v6 site-local fec0::/10', 'http://[fec0::1]/'],
      ['v6 multicast', 'http://[ff02::1]/'],
      ['v6 IPv4-compatible ::a.b.c.d', 'http://[::127.0.0.1]/'],
      ['v6 IPv4-compatible, public v4 inside', 'http://[::8.8.8.8]/'],
      ['v6 IPv4-mapped', 'http://[::ffff:127.0.0.1]/'],
      ['v6 IPv4-mapped in hex', 'http://[::ffff:a00:1]/'],
      ['v6 IPv4-mapped metadata', 'http://[::ffff:169.254.169.254]/'],
      ['v6 IPv4-translated', 'http://[::ffff:0:7f00:1]/'],
      ['v6 NAT64 64:ff9b::/96', 'http://[64:ff9b::7f00:1]/'],
      ['v6 NAT64, public v4 inside', 'http://[64:ff9b::808:808]/'],
      ['v6 6to4 2002::/16', 'http://[2002:7f00:1::1]/'],
      ['v6 6to4, public v4 inside', 'http://[2002:808:808::1]/'],
      ['v6 Teredo 2001::/32', 'http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/'],
      ['v6 documentation', 'http://[2001:db8::1]/'],
    ];

    it.each(refused)(
      'refuses %s (%s) on create: 400 naming url and WEBHOOK_ALLOW_PRIVATE_URLS=true',
      async (_range, url) => {
        const res = await as(t, user.token).post(HOOKS, { url, events: ['session.created'] });
        expectError(res, 400, 'VALIDATION_ERROR');
        const field = (res.body.error.details.fields as { field: string; message: string }[]).find(
          (f) => f.field === 'url',
        );
        expect(field?.message).toMatch(/private or reserved/);
        expect(field?.message).toContain('WEBHOOK_ALLOW_PRIVATE_URLS=true');
        expect((await as(t, user.token).get(HOOKS)).body.total).toBe(0);
      },
    );

    it.each([['http://8.8.8.8/hook'], ['https://[2606:4700:4700::1111]/hook']])(
      'accepts the public address %s, then refuses the user’s 4th webhook: 409 CONFLICT',
      async (url) => {
        const owner = await createUser(t);
        const api = as(t, owner.token);
        const ids: string[] = [];
        for (let i = 0; i < 3; i++) {
          const res = await api.post(HOOKS, { url, events: ['session.created'] });
          expect(res.status).toBe(201);
          ids.push(res.body.id as string);
        }
        const over = await api.post(HOOKS, { url, events: ['session.created'] });
        expectError(over, 409, 'CONFLICT');
        expect(over.body.error.message).toContain('MAX_WEBHOOKS_PER_USER');
        expect((await api.get(HOOKS)).body.total).toBe(3);

        // The cap is per user, and a deleted webhook frees its place.
        const other = await createUser(t);
        expect((await as(t, other.token).post(HOOKS, { url, events: ['*'] })).status).toBe(201);
        expect((await api.delete(`${HOOKS}/${ids[0]}`)).status).toBe(204);
        expect((await api.post(HOOKS, { url, events: ['*'] })).status).toBe(201);
      },
    );
  });

  describe('disabled owners, secrets at rest and retention (private URLs allowed)', () => {
    let t: TestApp;
    let replica: TestApp;
    let owner: TestUser;
    let ownerHook: { id: string; secret: string };
    let ownerRx: WebhookReceiver;
    const apps: TestApp[] = [];

    const setDisabled = (on: TestApp, id: string, disabled: boolean) =>
      as(on, on.adminToken).patch(`/api/v1/users/${id}`, { disabled });

    const newUserOn = (on: TestApp): Promise<Response> =>
      as(on, on.adminToken).post('/api/v1/users', {
        email: `hardening-${randomUUID().slice(0, 8)}@example.test`,
        password: `password-${randomUUID()}`,
      });

    /** Closes every app, then starts one on the same database with this SECRETS_KEY. */
    async function restartWith(secretsKey: string, role = 'all'): Promise<TestApp> {
      for (const app of apps.splice(0)) await app.close();
      const next = await startApp(
        testEnv({
          ...ENV,
          DATABASE_URL: t.env.DATABASE_URL,
          DATA_DIR: t.env.DATA_DIR,
          SECRETS_KEY: secretsKey,
          ROLE: role,
        }),
        { reset: false },
      );
      apps.push(next);
      return next;
    }

    beforeAll(async () => {
      t = await startApp(testEnv({ ...ENV, SECRETS_KEY: K1 }));
      replica = await startApp(t.env, { reset: false });
      apps.push(t, replica);
      owner = await createUser(t);
      ownerRx = await receiver();
    });
    afterAll(async () => {
      for (const app of apps) await app.close();
    });

    it('a disabled admin gets no admin events from another replica, from the moment of the disable', async () => {
      const admin = await createUser(t, 'admin');
      const rx = await receiver();
      const created = await as(t, admin.token).post(HOOKS, { url: rx.url, events: ['*'] });
      expect(created.status).toBe(201);
      // The replica has the admins' subscribers in its cache.
      expect((await newUserOn(replica)).status).toBe(201);
      await rx.waitFor(1);

      expect((await setDisabled(t, admin.id, true)).status).toBe(200);
      expect((await newUserOn(replica)).status).toBe(201);
      expect((await newUserOn(replica)).status).toBe(201);
      await sleep(500);
      expect(rx.requests).toHaveLength(1);
      expect(await deliveriesOf(t, created.body.id)).toHaveLength(1);

      // Enabled again (on the replica this time): events flow again everywhere.
      expect((await setDisabled(replica, admin.id, false)).status).toBe(200);
      expect((await newUserOn(t)).status).toBe(201);
      await rx.waitFor(2);
      expect(verifyRequest(created.body.secret, rx.requests[1]).type).toBe('user.created');
    });

    it("a run that ends after its user was disabled: the user's webhooks get nothing", async () => {
      const user = await createUser(t);
      const rx = await receiver();
      const hook = await as(t, user.token).post(HOOKS, {
        url: rx.url,
        events: ['skill.run.completed'],
      });
      expect(hook.status).toBe(201);
      const quick = `hardening-quick-${randomUUID().slice(0, 8)}`;
      const slow = `hardening-slow-${randomUUID().slice(0, 8)}`;
      for (const [name, script] of [
        [quick, 'echo hi'],
        [slow, 'sleep 1.5; echo hi'],
      ])
        expect((await as(t, t.adminToken).post('/api/v1/skills', { name, script })).status).toBe(
          201,
        );
      // Both replicas run skills; the first run puts this user's subscribers in a cache.
      expect((await as(replica, user.token).post(`/api/v1/skills/${quick}/run`)).status).toBe(200);
      await rx.waitFor(1);

      const started = await as(replica, user.token).post(`/api/v1/skills/${slow}/run?wait=false`);
      expect(started.status).toBe(202);
      expect((await setDisabled(t, user.id, true)).status).toBe(200);
      await until('the slow run to end', async () => {
        const run = await t.db
          .getRepository(SkillRunEntity)
          .findOneBy({ id: started.body.id as string });
        return run?.status === 'succeeded';
      });
      await sleep(500);
      expect(rx.requests).toHaveLength(1);
      expect(await deliveriesOf(t, hook.body.id)).toHaveLength(1);
    });

    it('a delivery pending when its owner is disabled is not sent again: it ends failed', async () => {
      const api = as(t, owner.token);
      const created = await api.post(HOOKS, { url: ownerRx.url, events: ['session.created'] });
      expect(created.status).toBe(201);
      ownerHook = created.body as { id: string; secret: string };
      ownerRx.answer(500);
      expect((await api.post('/api/v1/sessions', { name: 'pending' })).status).toBe(201);
      await ownerRx.waitFor(1);
      // The retry is due a second later; the owner is disabled before then.
      expect((await setDisabled(replica, owner.id, true)).status).toBe(200);

      const [settled] = await until('the delivery to end', async () => {
        const rows = await deliveriesOf(t, ownerHook.id);
        return rows.length === 1 && rows[0].status !== 'pending' ? rows : undefined;
      });
      expect(settled.status).toBe('failed');
      await sleep(1500);
      expect(ownerRx.requests).toHaveLength(1);

      expect((await setDisabled(t, owner.id, false)).status).toBe(200);
      // The disable revoked the owner's JWTs (SPEC §4): later steps use a fresh one.
      owner.token = await loginAs(t, owner);
      const seen = await as(t, owner.token).get(
        `${HOOKS}/${ownerHook.id}/deliveries/${settled.id}`,
      );
      expect(seen.status).toBe(200);
      expect(seen.body.status).toBe('failed');
      expect(seen.body.attempts).toEqual([
        expect.objectContaining({ attempt: 1, status_code: 500 }),
        expect.objectContaining({
          attempt: 2,
          status_code: null,
          error: 'not sent: the owner of the webhook is disabled',
        }),
      ]);
    });

    it('stores the secret sealed with AES-256-GCM; deliveries still verify with standardwebhooks', async () => {
      const stored = await storedSecret(t, ownerHook.id);
      expect(stored).toMatch(/^enc:v1:[A-Za-z0-9+/=]+$/);
      expect(stored).not.toContain(ownerHook.secret);
      expect(stored).not.toContain(ownerHook.secret.slice('whsec_'.length));
      expect(new SecretBox([Buffer.from(K1, 'hex')]).open(stored)).toBe(ownerHook.secret);

      const before = ownerRx.requests.length;
      await as(t, owner.token).post('/api/v1/sessions', { name: 'sealed' });
      await ownerRx.waitFor(before + 1);
      expect(verifyRequest(ownerHook.secret, ownerRx.requests[before]).type).toBe(
        'session.created',
      );

      const rotated = await as(t, owner.token).post(`${HOOKS}/${ownerHook.id}/rotate-secret`);
      expect(rotated.status).toBe(200);
      ownerHook = rotated.body as { id: string; secret: string };
      const resealed = await storedSecret(t, ownerHook.id);
      expect(resealed).toMatch(/^enc:v1:/);
      expect(resealed).not.toContain(ownerHook.secret.slice('whsec_'.length));
      const test = await as(t, owner.token).post(`${HOOKS}/${ownerHook.id}/test`);
      expect(test.body).toMatchObject({ success: true, status_code: 200 });
      expect(verifyRequest(ownerHook.secret, ownerRx.requests.at(-1)!).type).toBe('webhook.test');
    });

    it('a secret stored in clear before SECRETS_KEY was set still signs', async () => {
      const rx = await receiver();
      const created = await as(t, owner.token).post(HOOKS, { url: rx.url, events: ['*'] });
      const plain = `whsec_${randomBytes(24).toString('base64')}`;
      await t.db.getRepository(WebhookEntity).update({ id: created.body.id }, { secret: plain });
      const test = await as(t, owner.token).post(`${HOOKS}/${created.body.id}/test`);
      expect(test.body).toMatchObject({ success: true });
      expect(verifyRequest(plain, rx.requests[0]).type).toBe('webhook.test');
      ownerPlain = { id: created.body.id, secret: plain, rx };
    });
    let ownerPlain: { id: string; secret: string; rx: WebhookReceiver };

    it('after a key rotation (SECRETS_KEY=new,old) deliveries still verify, and every secret is resealed with the new key', async () => {
      const app = await restartWith(`${K2},${K1}`);
      const newest = new SecretBox([Buffer.from(K2, 'base64')]);
      await until('the start-up pass to reseal both secrets', async () => {
        const a = await storedSecret(app, ownerHook.id);
        const b = await storedSecret(app, ownerPlain.id);
        try {
          return newest.open(a) === ownerHook.secret && b.startsWith('enc:v1:')
            ? newest.open(b) === ownerPlain.secret
            : false;
        } catch {
          return false;
        }
      });
      const before = ownerRx.requests.length;
      expect((await as(app, owner.token).post('/api/v1/sessions', {})).status).toBe(201);
      await ownerRx.waitFor(before + 1);
      expect(verifyRequest(ownerHook.secret, ownerRx.requests[before]).type).toBe(
        'session.created',
      );
      await ownerPlain.rx.waitFor(1);
      const test = await as(app, owner.token).post(`${HOOKS}/${ownerPlain.id}/test`);
      expect(test.body).toMatchObject({ success: true });
      expect(verifyRequest(ownerPlain.secret, ownerPlain.rx.requests.at(-1)!).type).toBe(
        'webhook.test',
      );
    });

    it('removes events and attempts older than WEBHOOK_EVENT_RETENTION_DAYS and the events of deleted webhooks', async () => {
      // No worker (and so no sweep) runs while the rows are written.
      const app = await restartWith(K2, 'api');
      const now = Date.now();
      const ago = (ms: number) => new Date(now - ms);
      const deleted = await as(app, owner.token).post(HOOKS, {
        url: 'http://127.0.0.1:9/',
        events: ['*'],
      });
      const events = {
        old: ago(40 * DAY_MS),
        recent: ago(DAY_MS),
        oldPending: ago(31 * DAY_MS),
        orphan: ago(2 * 3_600_000),
        freshOrphan: ago(60_000),
        ofDeleted: ago(2 * DAY_MS),
      };
      const id = (name: string) => `evt_hardening_${name}`.slice(0, 40);
      for (const [name, at] of Object.entries(events))
        await app.db
          .getRepository(WebhookEventEntity)
          .insert({ id: id(name), type: 'session.created', payload: '{}', createdAt: at });
      const delivery = (name: string, webhookId: string, status: 'succeeded' | 'pending') => ({
        id: randomUUID(),
        webhookId,
        eventId: id(name),
        status,
        attempts: 1,
        maxAttempts: 3,
        // Never due: the reconciler leaves these alone.
        nextAttemptAt: Number.MAX_SAFE_INTEGER,
        createdAt: events[name as keyof typeof events],
        updatedAt: events[name as keyof typeof events],
      });
      const rows = [
        delivery('old', ownerHook.id, 'succeeded'),
        delivery('recent', ownerHook.id, 'succeeded'),
        delivery('oldPending', ownerHook.id, 'pending'),
        delivery('ofDeleted', deleted.body.id, 'succeeded'),
      ];
      // One at a time: a bulk insert may hand generated ids back in another order.
      for (const d of rows) {
        await app.db.getRepository(WebhookDeliveryEntity).insert({ ...d });
        await app.db.getRepository(WebhookAttemptEntity).insert({
          deliveryId: d.id,
          attempt: 1,
          statusCode: 200,
          durationMs: 5,
          error: null,
          responseBody: '',
          createdAt: d.createdAt,
        });
      }
      expect((await as(app, owner.token).delete(`${HOOKS}/${deleted.body.id}`)).status).toBe(204);

      // The sweep runs when a worker starts (then hourly).
      const worker = await restartWith(K2);
      const remaining = await until('the sweep', async () => {
        const left = await worker.db
          .getRepository(WebhookEventEntity)
          .createQueryBuilder('e')
          .where('e.id LIKE :p', { p: 'evt_hardening_%' })
          .getMany();
        return left.length === 3 ? left : undefined;
      });
      expect(remaining.map((e) => e.id).sort()).toEqual(
        [id('freshOrphan'), id('oldPending'), id('recent')].sort(),
      );
      const kept = await worker.db.getRepository(WebhookDeliveryEntity).find({
        where: rows.map((d) => ({ id: d.id })),
      });
      expect(kept.map((d) => d.eventId).sort()).toEqual([id('oldPending'), id('recent')].sort());
      const attempts = await worker.db.getRepository(WebhookAttemptEntity).find({
        where: rows.map((d) => ({ deliveryId: d.id })),
      });
      // The pending delivery stays, but its 31-day-old attempt is gone.
      expect(attempts.map((a) => a.deliveryId)).toEqual([rows[1].id]);
    });

    it('a secret sealed with a key that is no longer listed: a clear error, nothing sent', async () => {
      const app = await restartWith(K3);
      const before = ownerRx.requests.length;
      const test = await as(app, owner.token).post(`${HOOKS}/${ownerHook.id}/test`);
      expect(test.status).toBe(200);
      expect(test.body).toMatchObject({
        success: false,
        status_code: null,
        error: 'not sent: the secret was encrypted with a key that is not in SECRETS_KEY',
      });
      await sleep(300);
      expect(ownerRx.requests).toHaveLength(before);
    });
  });
});
