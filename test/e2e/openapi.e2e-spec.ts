import { startTestApp, TestApp } from '../support/test-app';

const ROUTES: [string, string][] = [
  ['post', '/api/v1/auth/login'],
  ['post', '/api/v1/api-keys'],
  ['get', '/api/v1/api-keys'],
  ['delete', '/api/v1/api-keys/{id}'],
  ['get', '/api/v1/users/me'],
  ['post', '/api/v1/users'],
  ['get', '/api/v1/users'],
  ['get', '/api/v1/users/{id}'],
  ['patch', '/api/v1/users/{id}'],
  ['delete', '/api/v1/users/{id}'],
  ['get', '/api/v1/models'],
  ['post', '/api/v1/chat'],
  ['post', '/api/v1/chat/stream'],
  ['post', '/api/v1/sessions'],
  ['get', '/api/v1/sessions'],
  ['get', '/api/v1/sessions/{id}'],
  ['patch', '/api/v1/sessions/{id}'],
  ['delete', '/api/v1/sessions/{id}'],
  ['get', '/api/v1/sessions/{id}/messages'],
  ['delete', '/api/v1/messages/{id}'],
  ['get', '/api/v1/config'],
  ['patch', '/api/v1/config'],
  ['get', '/api/v1/skills'],
  ['post', '/api/v1/skills'],
  ['get', '/api/v1/skills/{name}'],
  ['patch', '/api/v1/skills/{name}'],
  ['delete', '/api/v1/skills/{name}'],
  ['post', '/api/v1/skills/{name}/run'],
  ['get', '/api/v1/skills/{name}/runs'],
  ['get', '/api/v1/skills/{name}/runs/{id}'],
  ['post', '/api/v1/webhooks'],
  ['get', '/api/v1/webhooks'],
  ['get', '/api/v1/webhooks/{id}'],
  ['patch', '/api/v1/webhooks/{id}'],
  ['delete', '/api/v1/webhooks/{id}'],
  ['post', '/api/v1/webhooks/{id}/rotate-secret'],
  ['post', '/api/v1/webhooks/{id}/test'],
  ['get', '/api/v1/webhooks/{id}/deliveries'],
  ['get', '/api/v1/webhooks/{id}/deliveries/{deliveryId}'],
  ['post', '/api/v1/webhooks/{id}/deliveries/{deliveryId}/retry'],
  ['get', '/health/live'],
  ['get', '/health/ready'],
  ['get', '/metrics'],
];

describe('OpenAPI (SPEC §11)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('serves an OpenAPI 3 document at /api/docs-json listing every route, with the bearer scheme', async () => {
    const res = await t.http().get('/api/docs-json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toMatch(/^3\./);
    expect(res.body.components.securitySchemes.bearer).toMatchObject({
      type: 'http',
      scheme: 'bearer',
    });
    const listed = Object.entries(
      res.body.paths as Record<string, Record<string, unknown>>,
    ).flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method} ${path}`));
    for (const [method, path] of ROUTES) expect(listed).toContain(`${method} ${path}`);
  });

  it('serves Swagger UI at /api/docs without credentials', async () => {
    const res = await t.http().get('/api/docs').redirects(1);
    expect(res.status).toBe(200);
    expect(res.text).toMatch(/swagger/i);
  });
});
