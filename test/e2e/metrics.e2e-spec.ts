import { createUser } from '../factories/users.factory';
import { startTestApp, TestApp } from '../support/test-app';

describe('GET /metrics (SPEC §11)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('exports requests by route template and status, upstream latency and tokens, queues and job outcomes', async () => {
    const user = await createUser(t);
    const auth = { Authorization: `Bearer ${user.token}` };
    const chat = await t.http().post('/api/v1/chat').set(auth).send({ message: 'count me' });
    expect(chat.status).toBe(200);
    await t.http().get(`/api/v1/sessions/${chat.body.session_id}`).set(auth).expect(200);
    await t
      .http()
      .get('/api/v1/sessions/00000000-0000-4000-8000-000000000000')
      .set(auth)
      .expect(404);
    await t.http().get('/api/v1/nowhere').expect(404);
    await t
      .http()
      .post('/api/v1/skills')
      .set('Authorization', `Bearer ${t.adminToken}`)
      .send({ name: 'metered', script: 'true' })
      .expect(201);
    await t.http().post('/api/v1/skills/metered/run').set(auth).expect(200);

    const res = await t.http().get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    const text = res.text;
    expect(text).toMatch(
      /openclaw_http_requests_total\{method="GET",route="\/api\/v1\/sessions\/:id",status="200"\} 1/,
    );
    expect(text).toMatch(
      /openclaw_http_requests_total\{method="GET",route="\/api\/v1\/sessions\/:id",status="404"\} 1/,
    );
    expect(text).toMatch(
      /openclaw_http_requests_total\{method="GET",route="unmatched",status="404"\} 1/,
    );
    expect(text).toMatch(
      /openclaw_http_request_duration_seconds_bucket\{le="[^"]+",method="POST",route="\/api\/v1\/chat"\}/,
    );
    expect(text).toMatch(
      /openclaw_upstream_duration_seconds_count\{model="echo",outcome="complete"\} 1/,
    );
    expect(text).toMatch(/openclaw_upstream_tokens_total\{model="echo",direction="output"\} [1-9]/);
    expect(text).toMatch(/openclaw_skill_runs_total\{status="succeeded"\} 1/);
    expect(text).toMatch(/openclaw_queue_jobs\{queue="skill-runs",state="waiting"\} 0/);
    expect(text).toMatch(/openclaw_queue_jobs\{queue="webhook-deliveries",state="\w+"\}/);
    // Raw ids never become label values: the route template does.
    expect(text).not.toContain(chat.body.session_id);
  });

  it('counts requests turned away before any route: no token, a malformed or too large body', async () => {
    await t.http().get('/api/v1/users/me').expect(401);
    await t
      .http()
      .post('/api/v1/auth/login')
      .set('Content-Type', 'application/json')
      .send('{"email":')
      .expect(400);
    await t
      .http()
      .post('/api/v1/auth/login')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ email: 'x'.repeat(2 * 1024 * 1024) }))
      .expect(413);

    const text = (await t.http().get('/metrics').expect(200)).text;
    expect(text).toMatch(
      /openclaw_http_requests_total\{method="GET",route="\/api\/v1\/users\/me",status="401"\} 1/,
    );
    expect(text).toMatch(
      /openclaw_http_requests_total\{method="POST",route="[^"]+",status="400"\} 1/,
    );
    expect(text).toMatch(
      /openclaw_http_requests_total\{method="POST",route="[^"]+",status="413"\} 1/,
    );
  });
});

describe('GET /metrics with METRICS_TOKEN', () => {
  let t: TestApp;
  const token = 'metrics-token-0123456789';
  beforeAll(async () => {
    t = await startTestApp({ METRICS_TOKEN: token });
  });
  afterAll(() => t.close());

  it('needs the token', async () => {
    const none = await t.http().get('/metrics');
    expect(none.status).toBe(401);
    expect(none.body.error.code).toBe('UNAUTHORIZED');
    const wrong = await t.http().get('/metrics').set('Authorization', 'Bearer nope');
    expect(wrong.status).toBe(401);
    // A user's own credential is not the metrics token.
    const userToken = await t.http().get('/metrics').set('Authorization', `Bearer ${t.adminToken}`);
    expect(userToken.status).toBe(401);
    const ok = await t.http().get('/metrics').set('Authorization', `Bearer ${token}`);
    expect(ok.status).toBe(200);
    expect(ok.text).toContain('openclaw_http_requests_total');
  });
});
