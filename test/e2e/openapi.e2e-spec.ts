import { ErrorCode } from '../../src/core/errors/error-code';
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
  ['get', '/api/v1/usage'],
  ['get', '/api/v1/usage/records'],
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
  ['post', '/v1/chat/completions'],
  ['get', '/v1/models'],
  ['get', '/v1/models/{id}'],
];

type Schema = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
type Operation = {
  requestBody?: Schema;
  responses: Record<string, Schema>;
  security?: unknown[];
};

const SSE = 'post /api/v1/chat/stream';
const METRICS = 'get /metrics';
const PUBLIC = ['post /api/v1/auth/login', 'get /health/live', 'get /health/ready', METRICS];
const ENVELOPE = '#/components/schemas/ErrorEnvelopeDto';
const OPENAI_ENVELOPE = '#/components/schemas/OpenAiErrorEnvelopeDto';
/** The OpenAI-compatible routes answer errors in OpenAI's shape (SPEC §10). */
const envelopeOf = (path: string) => (path.startsWith('/v1/') ? OPENAI_ENVELOPE : ENVELOPE);

describe('OpenAPI (SPEC §11)', () => {
  let t: TestApp;
  let doc: Schema;

  /** The schema itself: `$ref`s and single-element `allOf`s followed. */
  const resolve = (schema: Schema): Schema => {
    if (schema.$ref) {
      const name = (schema.$ref as string).replace('#/components/schemas/', '');
      expect(doc.components.schemas).toHaveProperty([name]);
      return resolve(doc.components.schemas[name]);
    }
    if (schema.allOf?.length === 1) return resolve(schema.allOf[0]);
    return schema;
  };
  const op = (method: string, path: string): Operation => {
    expect(doc.paths[path]).toHaveProperty([method]);
    return doc.paths[path][method];
  };
  const jsonSchema = (response: Schema): Schema => {
    expect(response.content).toHaveProperty(['application/json', 'schema']);
    return response.content['application/json'].schema;
  };
  const successes = (o: Operation) =>
    Object.entries(o.responses).filter(([status]) => status.startsWith('2'));

  beforeAll(async () => {
    t = await startTestApp();
    doc = (await t.http().get('/api/docs-json')).body;
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
    expect(res.body.security).toEqual([{ bearer: [] }]);
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

  it('gives every route a success response with a schema: JSON objects, SSE, text or 204', () => {
    for (const [method, path] of ROUTES) {
      const key = `${method} ${path}`;
      const ok = successes(op(method, path));
      expect({ key, statuses: ok.map(([status]) => status) }).toEqual({
        key,
        statuses: expect.arrayContaining([expect.stringMatching(/^2\d\d$/)]),
      });
      for (const [status, response] of ok) {
        if (status === '204') {
          expect({ key, content: response.content }).toEqual({ key, content: undefined });
        } else if (key === SSE) {
          expect(status).toBe('200');
          expect(Object.keys(response.content)).toEqual(['text/event-stream']);
        } else if (key === METRICS) {
          expect(Object.keys(response.content)).toEqual(['text/plain']);
          expect(response.content['text/plain'].schema).toEqual({ type: 'string' });
        } else {
          // A named object with its fields, not the `{type: object}` an interface gives.
          const schema = jsonSchema(response);
          expect({ key, ref: schema.$ref }).toEqual({ key, ref: expect.any(String) });
          expect(Object.keys(resolve(schema).properties ?? {}).length).toBeGreaterThan(0);
        }
      }
    }
  });

  it('documents login: email and password in, a bearer token out, no credentials needed', () => {
    const login = op('post', '/api/v1/auth/login');
    const body = resolve(login.requestBody!.content['application/json'].schema);
    expect(body.required).toEqual(expect.arrayContaining(['email', 'password']));
    expect(body.properties.email).toMatchObject({ type: 'string', format: 'email' });
    const token = resolve(jsonSchema(login.responses['200']));
    expect(token.required).toEqual(
      expect.arrayContaining(['access_token', 'token_type', 'expires_in']),
    );
    expect(token.properties.token_type.enum).toEqual(['Bearer']);
    expect(token.properties.expires_in.type).toBe('integer');
    expect(login.security).toEqual([]);
    expect(login.responses).not.toHaveProperty(['201']);
    expect(login.responses['401'].description).toMatch(/INVALID_CREDENTIALS/);
  });

  it('names the item schema of a list: GET /sessions is {data: SessionResponseDto[], total, limit, offset}', () => {
    const list = resolve(jsonSchema(op('get', '/api/v1/sessions').responses['200']));
    expect(list.required).toEqual(expect.arrayContaining(['data', 'total', 'limit', 'offset']));
    expect(list.properties.data).toEqual({
      type: 'array',
      items: { $ref: '#/components/schemas/SessionResponseDto' },
    });
    for (const field of ['total', 'limit', 'offset'])
      expect(list.properties[field].type).toBe('integer');
    const session = resolve(list.properties.data.items);
    expect(session.properties.model).toMatchObject({ type: 'string', nullable: true });
    expect(session.properties.created_at).toMatchObject({ type: 'string', format: 'date-time' });
  });

  it('documents the chat answer, and the stream as text/event-stream with its events', () => {
    const chat = resolve(jsonSchema(op('post', '/api/v1/chat').responses['200']));
    expect(chat.required).toEqual(
      expect.arrayContaining(['response', 'session_id', 'message_id', 'tokens']),
    );
    const tokens = resolve(chat.properties.tokens);
    expect(tokens.properties).toMatchObject({
      input: { type: 'integer' },
      output: { type: 'integer' },
    });

    const stream = op('post', '/api/v1/chat/stream');
    expect(Object.keys(stream.responses).filter((s) => s.startsWith('2'))).toEqual(['200']);
    const sse = stream.responses['200'];
    expect(sse.content['text/event-stream'].schema).toEqual({ type: 'string' });
    for (const part of ['data: {"text"', 'event: usage', 'event: error', 'data: [DONE]'])
      expect(sse.description).toContain(part);
    expect(sse.headers).toHaveProperty(['X-Session-Id']);
    // Errors before the first chunk are plain JSON, in the envelope.
    expect(jsonSchema(stream.responses['404']).$ref).toBe(ENVELOPE);
  });

  it('documents both answers of a skill run: 200 finished, 202 with a Location', () => {
    const run = op('post', '/api/v1/skills/{name}/run');
    expect(Object.keys(run.responses).filter((s) => s.startsWith('2'))).toEqual(['200', '202']);
    expect(jsonSchema(run.responses['202']).$ref).toBe('#/components/schemas/SkillRunResponseDto');
    expect(run.responses['202'].headers).toHaveProperty(['Location']);
  });

  it('describes the error envelope with every error code', () => {
    const envelope = resolve({ $ref: ENVELOPE });
    expect(envelope.required).toEqual(['error']);
    const error = resolve(envelope.properties.error);
    expect(error.required).toEqual(expect.arrayContaining(['code', 'message', 'details']));
    const code = resolve(error.properties.code);
    expect(code.type).toBe('string');
    expect([...code.enum].sort()).toEqual(Object.values(ErrorCode).sort());
    expect(code.enum).toEqual(expect.arrayContaining(['RATE_LIMIT', 'VALIDATION_ERROR']));
    expect(error.properties.details.type).toBe('object');
  });

  it('lists the shared errors of every operation in the envelope: auth, rate limit, validation, 500', () => {
    for (const [method, path] of ROUTES) {
      const key = `${method} ${path}`;
      const o = op(method, path);
      const errors = Object.keys(o.responses).filter((s) => /^[45]/.test(s));
      const expected = ['500', '503'];
      if (!PUBLIC.includes(key)) expected.push('401', '403', '429');
      if (o.requestBody) expected.push('400', '413', '415');
      if (path.includes('{')) expected.push('404');
      expect({ key, errors }).toEqual({ key, errors: expect.arrayContaining(expected) });
      for (const status of errors)
        expect({ key, status, ref: jsonSchema(o.responses[status]).$ref }).toEqual({
          key,
          status,
          ref: envelopeOf(path),
        });
    }

    const sessions = op('get', '/api/v1/sessions');
    expect(sessions.responses['401'].description).toMatch(/UNAUTHORIZED/);
    expect(sessions.responses['400'].description).toMatch(/VALIDATION_ERROR/);
    const limited = sessions.responses['429'];
    expect(Object.keys(limited.headers)).toEqual(
      expect.arrayContaining(['Retry-After', 'X-RateLimit-Limit', 'X-RateLimit-Remaining']),
    );
    expect(doc.components.headers).toHaveProperty(['Retry-After']);
    expect(Object.keys(sessions.responses['200'].headers)).toEqual(
      expect.arrayContaining(['X-Request-Id', 'X-RateLimit-Remaining']),
    );
  });

  it("documents the OpenAI-compatible routes' errors in OpenAI's envelope, as they are sent", async () => {
    const completions = op('post', '/v1/chat/completions');
    for (const status of ['400', '401', '429', '500'])
      expect(jsonSchema(completions.responses[status]).$ref).toBe(OPENAI_ENVELOPE);
    expect(completions.responses['401'].content['application/json'].example.error).toMatchObject({
      type: 'authentication_error',
      code: 'missing_api_key',
    });
    const error = resolve(resolve({ $ref: OPENAI_ENVELOPE }).properties.error);
    expect(error.properties.param).toMatchObject({ type: 'string', nullable: true });

    const res = await t.http().get('/v1/models');
    expect(res.status).toBe(401);
    expect(Object.keys(res.body.error).sort()).toEqual(Object.keys(error.properties).sort());
  });

  it('needs no credentials for the public routes only, and marks admin-only routes 403', () => {
    for (const [method, path] of ROUTES) {
      const key = `${method} ${path}`;
      const o = op(method, path);
      if (PUBLIC.includes(key)) {
        expect({ key, security: o.security }).toEqual({ key, security: [] });
        // Not the guard's 401: login's is INVALID_CREDENTIALS, the metrics token's its own.
        expect(o.responses['401']?.description ?? '').not.toMatch(/INVALID_API_KEY/);
      } else {
        // No override: the document's `security: [{bearer: []}]` applies.
        expect({ key, security: o.security }).toEqual({ key, security: undefined });
      }
    }
    expect(op('get', '/health/live').security).toEqual([]);
    for (const [method, path] of [
      ['post', '/api/v1/users'],
      ['get', '/api/v1/users'],
      ['patch', '/api/v1/config'],
      ['post', '/api/v1/skills'],
    ]) {
      const forbidden = op(method, path).responses['403'];
      expect(forbidden.description).toMatch(/admin/);
      expect(jsonSchema(forbidden).$ref).toBe(ENVELOPE);
    }
    expect(op('get', '/api/v1/sessions').responses['403'].description).not.toMatch(/admin/);
  });

  it('describes the bodies the routes really send, field for field', async () => {
    const auth = { Authorization: `Bearer ${t.adminToken}` };
    const fields = (method: string, path: string, status = '200', of = (s: Schema) => s) =>
      Object.keys(of(resolve(jsonSchema(op(method, path).responses[status]))).properties).sort();
    const keys = (body: object) => Object.keys(body).sort();
    const item = (list: Schema) => resolve(list.properties.data.items);

    const me = await t.http().get('/api/v1/users/me').set(auth);
    expect(keys(me.body)).toEqual(fields('get', '/api/v1/users/me'));

    const session = await t.http().post('/api/v1/sessions').set(auth).send({ name: 'docs' });
    expect(keys(session.body)).toEqual(fields('post', '/api/v1/sessions', '201'));
    const sessions = await t.http().get('/api/v1/sessions').set(auth);
    expect(keys(sessions.body)).toEqual(fields('get', '/api/v1/sessions'));
    expect(keys(sessions.body.data[0])).toEqual(fields('get', '/api/v1/sessions', '200', item));

    const key = await t.http().post('/api/v1/api-keys').set(auth).send({ name: 'docs' });
    expect(keys(key.body)).toEqual(fields('post', '/api/v1/api-keys', '201'));

    const config = await t.http().get('/api/v1/config').set(auth);
    expect(keys(config.body)).toEqual(fields('get', '/api/v1/config'));

    const usage = await t.http().get('/api/v1/usage').set(auth);
    expect(keys(usage.body)).toEqual(fields('get', '/api/v1/usage'));
    const totals = (s: Schema) => resolve(s.properties.totals);
    expect(keys(usage.body.totals)).toEqual(fields('get', '/api/v1/usage', '200', totals));
    const records = await t.http().get('/api/v1/usage/records').set(auth);
    expect(keys(records.body)).toEqual(fields('get', '/api/v1/usage/records'));

    const models = await t.http().get('/api/v1/models').set(auth);
    expect(keys(models.body)).toEqual(fields('get', '/api/v1/models'));

    const live = await t.http().get('/health/live');
    expect(keys(live.body)).toEqual(fields('get', '/health/live'));

    const unauthorized = await t.http().get('/api/v1/sessions');
    const envelope = resolve({ $ref: ENVELOPE });
    const error = resolve(envelope.properties.error);
    expect(keys(unauthorized.body)).toEqual(Object.keys(envelope.properties));
    expect(keys(unauthorized.body.error)).toEqual(Object.keys(error.properties).sort());
    expect(resolve(error.properties.code).enum).toContain(unauthorized.body.error.code);
  });
});
