import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';

import { AxeBuilder } from '@axe-core/playwright';
import Redis from 'ioredis';
import type { Page, Request } from 'playwright-core';
import request from 'supertest';
import { DataSource } from 'typeorm';

import { dataSourceOptions } from '../../src/core/database/data-source-options';
import { UsageRecordEntity } from '../../src/usage/entities/usage-record.entity';
import { type Browser, launchBrowser } from '../support/browser';
import { CHROMIUM, describeWith } from '../support/capabilities';
import { FakeLlm, startFakeLlm } from '../support/fake-llm';
import { ServerProcess, spawnServer } from '../support/server-process';
import { resetDatabase } from '../support/test-app';
import { ADMIN_EMAIL, ADMIN_PASSWORD, TEST_REDIS_URL, testEnv } from '../support/test-env';
import { until } from '../support/wait';
import { startWebhookReceiver, WebhookReceiver } from '../support/webhook-receiver';

const ROOT = resolve(__dirname, '../..');
const SHOTS = join(ROOT, 'screenshots/console');
const WIDTHS = [1280, 390] as const;
const JS_BUDGET_GZIP = 250 * 1024;
const USER_EMAIL = 'console-user@example.test';
const USER_PASSWORD = 'console-user-password';

// A Redis database of its own: the server's skill and webhook workers must not meet other files' jobs.
const REDIS_URL = (() => {
  const url = new URL(TEST_REDIS_URL);
  url.pathname = '/12';
  return url.toString();
})();

/** What one page did: its requests, and the errors the browser reported. */
interface Watched {
  requests: Request[];
  problems: string[];
}

/**
 * The admin console (SPEC §14) in Chromium against the built server, as its users use it: every
 * page at 1280 px and 390 px, checked by axe, with screenshots kept in screenshots/console/.
 */
describeWith(CHROMIUM)('admin console in a real browser (SPEC §14)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'openclaw-console-'));
  const databaseUrl = process.env.DATABASE_URL || `sqlite:${join(dir, 'openclaw.db')}`;
  let server: ServerProcess;
  let llm: FakeLlm;
  let rx: WebhookReceiver;
  let browser: Browser;
  let admin: Page;
  let adminWatch: Watched;
  let origin: string;
  let adminToken: string;

  const url = (path: string) => `${origin}/admin${path}`;
  const http = () => request(origin);

  function watch(page: Page): Watched {
    const watched: Watched = { requests: [], problems: [] };
    page.on('request', (r) => watched.requests.push(r));
    page.on('pageerror', (e) => watched.problems.push(`page error: ${e.message}`));
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text()))
        watched.problems.push(`CSP: ${m.text()}`);
    });
    page.on('dialog', (d) => void d.accept());
    return watched;
  }

  /** Screenshots and axe at both widths; at 390 px nothing may overflow the screen sideways. */
  async function checkPage(page: Page, name: string): Promise<void> {
    for (const width of WIDTHS) {
      await page.setViewportSize({ width, height: 900 });
      await page.waitForLoadState('networkidle');
      await page.screenshot({ path: join(SHOTS, `${name}-${width}.png`), fullPage: true });
      // The console has no frames: axe runs in the page itself (legacy mode), where the default
      // opens a blank page per run to merge frames' results, and reports only what is asserted.
      const { violations } = await new AxeBuilder({ page })
        .setLegacyMode()
        .options({ resultTypes: ['violations'] })
        .analyze();
      const serious = violations
        .filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
      expect({ page: name, width, serious }).toEqual({ page: name, width, serious: [] });
      const overflow = await page.evaluate<number>(
        'document.documentElement.scrollWidth - document.documentElement.clientWidth',
      );
      expect({ page: name, width, overflow }).toEqual({ page: name, width, overflow: 0 });
    }
    await page.setViewportSize({ width: 1280, height: 900 });
  }

  async function signIn(page: Page, email: string, password: string): Promise<void> {
    await page.getByLabel('E-mail').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
  }

  async function gzipJsBytes(requests: Request[]): Promise<number> {
    let total = 0;
    for (const r of requests) {
      if (!r.url().endsWith('.js')) continue;
      const res = await r.response();
      if (res) total += gzipSync(await res.body()).length;
    }
    return total;
  }

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    llm = await startFakeLlm();
    rx = await startWebhookReceiver();
    const providers = join(dir, 'providers.json');
    writeFileSync(
      providers,
      JSON.stringify({
        providers: [{ name: 'slow', base_url: llm.baseURL, models: ['slow-model'] }],
      }),
    );
    if (process.env.DATABASE_URL) await resetDatabase(testEnv({ DATABASE_URL: databaseUrl }));
    server = spawnServer(
      {
        DATABASE_URL: databaseUrl,
        REDIS_URL,
        DATA_DIR: dir,
        ADMIN_EMAIL,
        ADMIN_PASSWORD,
        PROVIDERS_FILE: providers,
        WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
        RATE_LIMIT_LOGIN_PER_MINUTE: '1000',
        RATE_LIMIT_PER_MINUTE: '100000',
        RATE_LIMIT_CHAT_PER_MINUTE: '100000',
      },
      dir,
    );
    await server.waitForOutput(/listening on/, 30_000);
    origin = `http://127.0.0.1:${server.port}`;
    const login = await http()
      .post('/api/v1/auth/login')
      .send({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
    adminToken = login.body.access_token;
    browser = await launchBrowser();
    await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
    admin = await browser.context.newPage();
    adminWatch = watch(admin);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await rx?.close();
    await llm?.close();
  });

  afterEach(() => {
    // Whatever a test did, the console never broke the CSP, threw, or talked to another origin.
    expect(adminWatch.problems).toEqual([]);
    const elsewhere = adminWatch.requests
      .map((r) => r.url())
      .filter((u) => !u.startsWith(`${origin}/`) && !/^(data|blob):/.test(u));
    expect(elsewhere).toEqual([]);
  });

  it('serves the console at /admin with the CSP, an SPA fallback and cache headers; Swagger UI stays', async () => {
    const index = await http().get('/admin/');
    expect(index.status).toBe(200);
    expect(index.headers['content-type']).toMatch(/text\/html/);
    expect(index.headers['cache-control']).toBe('no-cache');
    const csp = index.headers['content-security-policy'];
    expect(csp).toMatch(/script-src 'self'(;|$)/);
    expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
    // No inline script: every <script> names a same-origin file.
    const scripts = [...index.text.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [tag, body] of scripts) {
      expect(body.trim()).toBe('');
      expect(tag).toMatch(/src="\/admin\/assets\/[^"]+\.js"/);
    }
    const deep = await http().get('/admin/users/some/deep/link');
    expect(deep.status).toBe(200);
    expect(deep.text).toBe(index.text);
    expect(deep.headers['cache-control']).toBe('no-cache');
    const asset = /src="(\/admin\/assets\/[^"]+\.js)"/.exec(index.text)![1];
    const js = await http().get(asset);
    expect(js.status).toBe(200);
    expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect((await http().get('/api/docs')).status).toBe(200);
    const unknown = await http().get('/api/v1/nothing-here');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('NOT_FOUND');
  });

  it('signs the first admin in (a wrong password answers in words with its code), within the JS budget', async () => {
    await admin.goto(url('/'));
    await admin.getByRole('heading', { name: 'Sign in to OpenClaw' }).waitFor();
    await checkPage(admin, 'sign-in');
    const signInJs = await gzipJsBytes(adminWatch.requests);
    expect(signInJs).toBeLessThanOrEqual(JS_BUDGET_GZIP);

    // The form checks before sending: nothing goes out for an empty password.
    await admin.getByLabel('E-mail').fill(ADMIN_EMAIL);
    await admin.getByRole('button', { name: 'Sign in' }).click();
    await admin.getByText('Enter your password.').waitFor();
    expect(adminWatch.requests.some((r) => r.url().endsWith('/auth/login'))).toBe(false);

    await admin.getByLabel('Password').fill('wrong-password');
    await admin.getByRole('button', { name: 'Sign in' }).click();
    await admin.getByRole('alert').filter({ hasText: 'INVALID_CREDENTIALS' }).waitFor();

    await signIn(admin, ADMIN_EMAIL, ADMIN_PASSWORD);
    await admin.waitForLoadState('networkidle');
    // The whole first load, dashboard and its chart included.
    expect(await gzipJsBytes(adminWatch.requests)).toBeLessThanOrEqual(JS_BUDGET_GZIP);
    // The JWT lives in sessionStorage, never localStorage.
    const storage = await admin.evaluate<{ session: string | null; local: number }>(
      "({ session: sessionStorage.getItem('openclaw.token'), local: localStorage.length })",
    );
    expect(storage.session).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(storage.local).toBe(0);
    await checkPage(admin, 'dashboard');
  }, 90_000);

  it('creates a user (validated first), finds them by search, and shows their page', async () => {
    await admin.getByRole('link', { name: 'Users' }).click();
    await admin.getByRole('heading', { name: 'Users', exact: true }).waitFor();
    await admin.getByText('Create a user').click();
    await admin.getByRole('button', { name: 'Create user' }).click();
    await admin.getByText('An e-mail address.').waitFor();
    expect(adminWatch.requests.some((r) => r.method() === 'POST' && /\/users$/.test(r.url()))).toBe(
      false,
    );
    const form = admin.getByRole('form', { name: 'Create a user' });
    await form.getByLabel('E-mail').fill(USER_EMAIL);
    await form.getByLabel('Password').fill(USER_PASSWORD);
    await admin.getByRole('button', { name: 'Create user' }).click();
    await admin
      .getByRole('status')
      .filter({ hasText: `Created ${USER_EMAIL}` })
      .waitFor();
    const res = await http().get('/api/v1/users').set('Authorization', `Bearer ${adminToken}`);
    expect(res.body.data.map((u: { email: string }) => u.email)).toContain(USER_EMAIL);

    await admin.getByLabel('Search by e-mail or name').fill('console-user');
    await admin.getByRole('link', { name: USER_EMAIL }).waitFor();
    await checkPage(admin, 'users');
    await admin.getByRole('link', { name: USER_EMAIL }).click();
    await admin.getByRole('heading', { name: USER_EMAIL }).waitFor();
    await admin.getByLabel('Tokens per month').fill('many');
    await admin.getByRole('button', { name: 'Save' }).click();
    await admin.getByText(/^Token limits are whole numbers/).waitFor();
    await admin.getByLabel('Tokens per month').fill('2000000');
    await admin.getByLabel('Name', { exact: true }).fill('Console User');
    await admin.getByRole('button', { name: 'Save' }).click();
    await admin.getByText('Saved.').waitFor();
    const saved = await http()
      .get(`/api/v1/users/${admin.url().split('/').pop()}`)
      .set('Authorization', `Bearer ${adminToken}`);
    expect(saved.body).toMatchObject({
      name: 'Console User',
      role: 'user',
      quota: { tokens_per_month: 2000000 },
    });
    await admin.getByText(/quota: 2,000,000 tokens\/month/).waitFor();
    await checkPage(admin, 'user-detail');
  }, 90_000);

  it('creates an API key shown once with a copy button, which works until it is revoked', async () => {
    await admin.getByRole('link', { name: 'API keys' }).click();
    // The page's own h1: the user page it leaves has an "API keys" h2 (and a Name field) too.
    await admin.getByRole('heading', { level: 1, name: 'API keys', exact: true }).waitFor();
    await admin.getByLabel('Name', { exact: true }).fill('console key');
    await admin.getByLabel('Tokens per day (optional)').fill('5000');
    await admin.getByRole('checkbox', { name: 'echo' }).check();
    await admin.getByRole('button', { name: 'Create key' }).click();
    const shown = admin.getByTestId('secret-value');
    await shown.waitFor();
    const key = (await shown.textContent())!;
    expect(key).toMatch(/^oc_[\w-]{32,}$/);
    await admin.getByRole('button', { name: 'Copy' }).click();
    await admin.getByText('Copied to the clipboard.').waitFor();
    expect(await admin.evaluate<string>('navigator.clipboard.readText()')).toBe(key);
    await admin.getByRole('cell', { name: key.slice(0, 12) }).waitFor();
    await admin.getByRole('cell', { name: 'models: echo; 5,000 tokens/day' }).waitFor();
    await checkPage(admin, 'api-keys');

    const me = await http().get('/api/v1/users/me').set('Authorization', `Bearer ${key}`);
    expect(me.status).toBe(200);
    expect(me.body.email).toBe(ADMIN_EMAIL);
    // The list shows when it was last used.
    await admin.reload();
    await admin.getByRole('row', { name: /console key/ }).waitFor();
    expect(await admin.getByRole('row', { name: /console key/ }).textContent()).not.toMatch(
      /never$/,
    );

    await admin.getByRole('button', { name: 'Revoke console key' }).click();
    await admin.getByText('No active API keys').waitFor();
    const after = await http().get('/api/v1/users/me').set('Authorization', `Bearer ${key}`);
    expect(after.status).toBe(401);
    expect(after.body.error.code).toBe('INVALID_API_KEY');
  }, 90_000);

  it('streams a playground reply from echo, and stops a slow reply, stored as incomplete', async () => {
    await admin.getByRole('link', { name: 'Playground' }).click();
    await admin.getByRole('heading', { name: 'Playground' }).waitFor();
    await admin.getByLabel('Model').selectOption('echo');
    await admin.getByLabel('Message', { exact: true }).fill('hello from the console');
    await admin.getByRole('button', { name: 'Send' }).click();
    await admin.getByText(/^Done — \d+ tokens in, \d+ out\.$/).waitFor();
    expect(await admin.getByTestId('reply').first().textContent()).toBe('hello from the console');

    llm.behave({ reply: 'one two three four five six seven eight nine ten', chunkDelayMs: 400 });
    await admin.getByLabel('Model').selectOption('slow-model');
    await admin.getByLabel('Message', { exact: true }).fill('a slow one');
    await admin.getByRole('button', { name: 'Send' }).click();
    await until('the first chunk', async () =>
      ((await admin.getByTestId('reply').nth(1).textContent()) ?? '').includes('one'),
    );
    await admin.getByRole('button', { name: 'Stop' }).click();
    await admin.getByText(/^Stopped/).waitFor();
    await checkPage(admin, 'playground');

    // The turn is stored with its partial reply, marked incomplete; the console shows it so.
    await admin.getByRole('link', { name: 'this one' }).click();
    await admin.getByRole('heading', { name: 'hello from the console' }).waitFor();
    await admin.getByText('incomplete', { exact: true }).waitFor();
    const sessionId = admin.url().split('/').pop();
    const messages = await until('the stopped turn stored', async () => {
      const res = await http()
        .get(`/api/v1/sessions/${sessionId}/messages?order=asc`)
        .set('Authorization', `Bearer ${adminToken}`);
      return res.body.data.length === 4 ? res.body.data : undefined;
    });
    expect(messages.map((m: { role: string; status: string }) => [m.role, m.status])).toEqual([
      ['user', 'complete'],
      ['assistant', 'complete'],
      ['user', 'complete'],
      ['assistant', 'incomplete'],
    ]);
    await checkPage(admin, 'session-messages');
    await admin.getByRole('link', { name: '← Sessions' }).click();
    await admin.getByRole('link', { name: 'hello from the console' }).waitFor();
    await checkPage(admin, 'sessions');
  }, 90_000);

  it('creates a webhook (secret once), sends a test delivery the receiver verifies, lists its attempts, disables and rotates', async () => {
    await admin.getByRole('link', { name: 'Webhooks' }).click();
    await admin.getByRole('heading', { name: 'Webhooks', exact: true }).waitFor();
    await admin.getByRole('button', { name: 'Create webhook' }).click();
    await admin.getByText('Check at least one event.').waitFor();
    await admin.getByLabel('URL', { exact: true }).fill(rx.url);
    await admin.getByLabel('session.created').check();
    await admin.getByLabel('user.created').check();
    await admin.getByRole('button', { name: 'Create webhook' }).click();
    const secret = (await admin.getByTestId('secret-value').textContent())!;
    expect(secret).toMatch(/^whsec_/);
    await checkPage(admin, 'webhooks');

    await admin.getByRole('link', { name: 'Open the new webhook' }).click();
    await admin.getByRole('button', { name: 'Send a test event' }).click();
    await admin.getByTestId('test-result').filter({ hasText: 'succeeded' }).waitFor();
    await rx.waitFor(1);
    expect(rx.events(secret).map((e) => e.type)).toEqual(['webhook.test']);
    await admin.getByText('webhook.test').click();
    await admin.getByRole('cell', { name: '200' }).waitFor();
    await checkPage(admin, 'webhook-detail');

    await admin.getByRole('button', { name: 'Disable' }).click();
    await admin.getByRole('button', { name: 'Enable' }).waitFor();
    const id = admin.url().split('/').pop();
    const hook = await http()
      .get(`/api/v1/webhooks/${id}`)
      .set('Authorization', `Bearer ${adminToken}`);
    expect(hook.body).toMatchObject({ active: false, events: ['session.created', 'user.created'] });

    await admin.getByRole('button', { name: 'Rotate secret' }).click();
    const rotated = (await admin.getByTestId('secret-value').textContent())!;
    expect(rotated).toMatch(/^whsec_/);
    expect(rotated).not.toBe(secret);
  }, 90_000);

  it('creates a skill with the script editor and runs it with a parameter', async () => {
    await admin.getByRole('link', { name: 'Skills' }).click();
    await admin.getByRole('button', { name: 'New skill' }).click();
    await admin.getByRole('heading', { name: 'New skill' }).waitFor();
    await admin.getByLabel('Name', { exact: true }).fill('Not A Name');
    await admin.getByRole('button', { name: 'Create skill' }).click();
    await admin.getByText(/^Lower-case letters/).waitFor();
    await admin.getByLabel('Name', { exact: true }).fill('greet');
    await admin.getByLabel('Description').fill('Says hello');
    await admin.getByLabel(/^Script/).fill('echo "hello, $PARAM_NAME"');
    await checkPage(admin, 'skill-editor');
    await admin.getByRole('button', { name: 'Create skill' }).click();
    await admin.getByRole('heading', { name: 'greet' }).waitFor();

    await admin.getByLabel('Name 1').fill('name');
    await admin.getByLabel('Value 1').fill('Ada');
    await admin.getByRole('button', { name: 'Run', exact: true }).click();
    await admin
      .getByRole('region', { name: 'This run' })
      .getByText('succeeded')
      .waitFor({ timeout: 30_000 });
    expect(await admin.getByTestId('run-stdout').first().textContent()).toBe('hello, Ada\n');
    await checkPage(admin, 'skill-detail');
    await admin.getByRole('link', { name: '← Skills' }).click();
    await admin.getByRole('link', { name: 'greet' }).waitFor();
    await checkPage(admin, 'skills');
  }, 90_000);

  it('changes the config, the default quota included, after checking the form', async () => {
    await admin.getByRole('link', { name: 'Config' }).click();
    await admin.getByRole('heading', { name: 'Config' }).waitFor();
    await admin.getByLabel('Temperature (0–2)').fill('3');
    await admin.getByRole('button', { name: 'Save' }).click();
    await admin.getByText('A number from 0 to 2.').waitFor();
    expect(
      adminWatch.requests.some((r) => r.method() === 'PATCH' && /\/config$/.test(r.url())),
    ).toBe(false);
    await admin.getByLabel('Temperature (0–2)').fill('0.5');
    await admin.getByLabel('Tokens per day').fill('100000');
    await admin.getByRole('button', { name: 'Save' }).click();
    await admin.getByText('Saved.').waitFor();
    const config = await http().get('/api/v1/config').set('Authorization', `Bearer ${adminToken}`);
    expect(config.body).toMatchObject({
      temperature: 0.5,
      default_user_quota: { tokens_per_day: 100000 },
    });
    await checkPage(admin, 'config');
  }, 90_000);

  it('charts usage on the dashboard and for everyone: sortable, exported as CSV', async () => {
    // Records of past days, as the gateway writes them: calls made now cannot fill a chart over time.
    const users = await http().get('/api/v1/users').set('Authorization', `Bearer ${adminToken}`);
    const idOf = (email: string) =>
      users.body.data.find((u: { email: string }) => u.email === email).id;
    const daysAgo = (n: number) => new Date(Date.now() - n * 86_400_000);
    const record = (
      userId: string,
      model: string,
      at: Date,
      tokens: [number, number],
      cost: number | null,
    ) => ({
      userId,
      apiKeyId: null,
      model,
      provider: 'seeded',
      endpoint: '/api/v1/chat',
      status: 'complete' as const,
      inputTokens: tokens[0],
      outputTokens: tokens[1],
      costUsd: cost,
      latencyMs: 5,
      createdAt: at,
    });
    const db = new DataSource({
      ...dataSourceOptions(testEnv({ DATABASE_URL: databaseUrl })),
      entities: [UsageRecordEntity],
    });
    await db.initialize();
    await db
      .getRepository(UsageRecordEntity)
      .insert([
        record(idOf(ADMIN_EMAIL), 'seeded-a', daysAgo(3), [100, 50], 0.25),
        record(idOf(ADMIN_EMAIL), 'seeded-a', daysAgo(3), [100, 50], 0.25),
        record(idOf(ADMIN_EMAIL), 'seeded-b', daysAgo(2), [1000, 500], null),
        record(idOf(USER_EMAIL), 'seeded-a', daysAgo(1), [10, 5], 0.5),
      ]);
    await db.destroy();

    await admin.getByRole('link', { name: 'Dashboard' }).click();
    await admin.getByRole('heading', { name: 'Dashboard' }).waitFor();
    await admin.locator('figure.chart svg').first().waitFor();
    // Totals per day, tokens per day by model, and the models side by side.
    await admin.getByText('Tokens per day by model').waitFor();
    expect(await admin.locator('figure.chart').count()).toBe(3);
    await admin.getByRole('row', { name: 'seeded-a 2 200 100 $0.5000' }).waitFor();
    await admin.getByRole('row', { name: 'seeded-b 1 1,000 500 —' }).waitFor();
    await checkPage(admin, 'dashboard-usage');

    await admin.getByRole('link', { name: 'Usage' }).click();
    await admin.getByRole('heading', { name: 'Usage of everyone' }).waitFor();
    // By user: everyone's, named by e-mail.
    await admin
      .getByRole('row', { name: new RegExp(`^${USER_EMAIL} 1 10 5 \\$0\\.5000`) })
      .waitFor();
    await admin.getByLabel('Group by').selectOption('model');
    // By model, key or day: one user at a time, the admin first.
    await admin.getByRole('row', { name: 'seeded-a 2 200 100 $0.5000' }).waitFor();
    await admin.locator('figure.chart svg').first().waitFor();
    // Sorting by requests puts the busiest group first, then the other way round.
    const table = admin.getByRole('region', { name: 'Usage by model' });
    await table.getByRole('button', { name: 'Requests' }).click();
    const header = table.getByRole('columnheader', { name: 'Requests' });
    expect(await header.getAttribute('aria-sort')).toBe('descending');
    const firstRequests = async () =>
      Number(await table.locator('tbody tr').first().locator('td').nth(1).textContent());
    const most = await firstRequests();
    await table.getByRole('button', { name: 'Requests' }).click();
    expect(await header.getAttribute('aria-sort')).toBe('ascending');
    expect(await firstRequests()).toBeLessThanOrEqual(most);
    const [download] = await Promise.all([
      admin.waitForEvent('download'),
      admin.getByRole('link', { name: 'Export CSV' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^usage-by-model-.*\.csv$/);
    const csv = readFileSync((await download.path())!, 'utf8');
    const lines = csv.trim().split('\n');
    expect(lines[0]).toBe('model,requests,input_tokens,output_tokens,cost_usd,unpriced_requests');
    expect(lines).toContain('seeded-a,2,200,100,0.5,0');
    expect(lines).toContain('seeded-b,1,1000,500,,1');
    await admin.getByRole('combobox', { name: /^User/ }).selectOption({ label: USER_EMAIL });
    await admin.getByRole('row', { name: 'seeded-a 1 10 5 $0.5000' }).waitFor();
    // The records table below refetches on its own: wait for the admin's rows to leave it too.
    await admin.getByRole('cell', { name: 'seeded-b' }).first().waitFor({ state: 'detached' });
    expect(await admin.getByRole('cell', { name: 'seeded-b' }).count()).toBe(0);
    await checkPage(admin, 'usage');
  }, 90_000);

  it('shows models (and why the others are not usable) and queue health', async () => {
    await admin.getByRole('link', { name: 'Models' }).click();
    await admin.getByRole('heading', { name: 'Models and providers' }).waitFor();
    await admin.getByRole('cell', { name: 'slow-model' }).waitFor();
    await admin.getByText(/deepseek-chat.*DEEPSEEK_API_KEY/).waitFor();
    await checkPage(admin, 'models');

    await admin.getByRole('link', { name: 'Health' }).click();
    await admin.getByRole('heading', { name: 'Queue and delivery health' }).waitFor();
    await admin.getByText('reachable', { exact: true }).waitFor();
    await admin.getByRole('rowheader', { name: 'skill-runs' }).waitFor();
    await checkPage(admin, 'health');
  }, 90_000);

  it('a non-admin, signed in with the keyboard only, sees no admin page and fetches no admin data', async () => {
    const page = await browser.context.newPage();
    const watched = watch(page);
    await page.goto(url('/users'));
    await page.getByRole('heading', { name: 'Sign in to OpenClaw' }).waitFor();
    await page.keyboard.press('Tab');
    await page.keyboard.type(USER_EMAIL);
    await page.keyboard.press('Tab');
    await page.keyboard.type(USER_PASSWORD);
    await page.keyboard.press('Enter');
    // The address asked for an admin page: the console shows the dashboard instead.
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    expect(new URL(page.url()).pathname).toMatch(/^\/admin\/?$/);
    for (const name of ['Users', 'Usage', 'Config', 'Models', 'Health'])
      expect(await page.getByRole('link', { name, exact: true }).count()).toBe(0);
    // The session survives a reload (sessionStorage); from the top, the first stop is the skip
    // link, and it shows itself with a visible focus ring.
    await page.reload();
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    await page.keyboard.press('Tab');
    const focused = await page.evaluate<{ text: string; outline: string; left: number }>(`({
      text: document.activeElement.textContent,
      outline: getComputedStyle(document.activeElement).outlineStyle,
      left: document.activeElement.getBoundingClientRect().left,
    })`);
    expect(focused.text).toBe('Skip to content');
    expect(focused.outline).not.toBe('none');
    expect(focused.left).toBeGreaterThanOrEqual(0);

    await checkPage(page, 'user-dashboard');
    await page.getByRole('link', { name: 'Skills' }).click();
    await page.getByRole('link', { name: 'greet' }).waitFor();
    expect(await page.getByRole('button', { name: 'New skill' }).count()).toBe(0);
    await page.getByRole('link', { name: 'Webhooks' }).click();
    await page.getByRole('heading', { name: 'Webhooks', exact: true }).waitFor();
    expect(await page.getByLabel('user.created').count()).toBe(0);
    await checkPage(page, 'user-webhooks');

    const adminData = watched.requests
      .map((r) => new URL(r.url()))
      .filter(
        (u) =>
          /^\/api\/v1\/users(\/(?!me$).*)?$/.test(u.pathname) ||
          u.pathname === '/metrics' ||
          u.searchParams.has('user_id') ||
          u.searchParams.get('group_by') === 'user',
      );
    expect(adminData).toEqual([]);
    expect(watched.problems).toEqual([]);

    // A password change revokes the user's JWT: the next call answers 401 and the console returns to sign-in.
    const users = await http().get('/api/v1/users').set('Authorization', `Bearer ${adminToken}`);
    const userId = users.body.data.find((u: { email: string }) => u.email === USER_EMAIL).id;
    await http()
      .patch(`/api/v1/users/${userId}`)
      .set('Authorization', `Bearer ${adminToken}`)
      .send({ password: 'a-new-password-123' })
      .expect(200);
    await page.getByRole('link', { name: 'API keys' }).click();
    await page.getByRole('heading', { name: 'Sign in to OpenClaw' }).waitFor();
    await page.getByText(/Your session ended/).waitFor();
    expect(
      await page.evaluate<string | null>("sessionStorage.getItem('openclaw.token')"),
    ).toBeNull();
    await page.close();
  }, 90_000);

  it('signs out: the token leaves sessionStorage and the sign-in form returns', async () => {
    await admin.getByRole('button', { name: 'Sign out' }).click();
    await admin.getByRole('heading', { name: 'Sign in to OpenClaw' }).waitFor();
    expect(await admin.evaluate<number>('sessionStorage.length + localStorage.length')).toBe(0);
  });
});

describe('admin console by role', () => {
  it('a worker serves no console', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'openclaw-console-worker-'));
    const worker = spawnServer(
      {
        ROLE: 'worker',
        DATABASE_URL: process.env.DATABASE_URL || `sqlite:${join(dir, 'openclaw.db')}`,
        REDIS_URL,
        DATA_DIR: dir,
        ADMIN_EMAIL,
        ADMIN_PASSWORD,
      },
      dir,
    );
    try {
      await worker.waitForOutput(/listening on/, 30_000);
      const res = await request(`http://127.0.0.1:${worker.port}`).get('/admin/');
      expect(res.status).toBe(404);
    } finally {
      await worker.stop();
    }
  }, 60_000);
});

describeWith(CHROMIUM)('admin console on an API-only process', () => {
  it('ROLE=api serves it, and a 429 at sign-in says when to try again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'openclaw-console-api-'));
    if (process.env.DATABASE_URL) await resetDatabase(testEnv());
    // Login attempts are counted in Redis per address: a database of its own starts them at zero.
    const redisUrl = new URL(REDIS_URL);
    redisUrl.pathname = '/13';
    const redis = new Redis(redisUrl.toString());
    await redis.flushdb();
    await redis.quit();
    const api = spawnServer(
      {
        ROLE: 'api',
        DATABASE_URL: process.env.DATABASE_URL || `sqlite:${join(dir, 'openclaw.db')}`,
        REDIS_URL: redisUrl.toString(),
        DATA_DIR: dir,
        ADMIN_EMAIL,
        ADMIN_PASSWORD,
        RATE_LIMIT_LOGIN_PER_MINUTE: '2',
      },
      dir,
    );
    const browser = await launchBrowser();
    try {
      await api.waitForOutput(/listening on/, 30_000);
      const page = await browser.context.newPage();
      await page.goto(`http://127.0.0.1:${api.port}/admin/`);
      await page.getByLabel('E-mail').fill(ADMIN_EMAIL);
      await page.getByLabel('Password').fill('not-the-password');
      for (let i = 0; i < 2; i++) {
        await page.getByRole('button', { name: 'Sign in' }).click();
        await page.getByRole('alert').filter({ hasText: 'INVALID_CREDENTIALS' }).waitFor();
      }
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page
        .getByRole('alert')
        .filter({ hasText: /\(RATE_LIMIT, HTTP 429\) Try again in \d+ s\./ })
        .waitFor();
    } finally {
      await browser.close();
      await api.stop();
    }
  }, 60_000);
});
