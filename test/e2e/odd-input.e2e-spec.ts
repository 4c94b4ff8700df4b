import { createUser, TestUser } from '../factories/users.factory';
import { startTestApp, TestApp } from '../support/test-app';

/**
 * Odd input on every route: each answer is below 500 and, when refused, in an error envelope
 * (SPEC §3, §10). Found this way: special tokens' names made the tokenizer throw, half a surrogate
 * pair made validator.js throw, and deep nesting overflowed the stack.
 */
describe('odd input on every route (SPEC §3)', () => {
  let t: TestApp;
  let user: TestUser;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    t = await startTestApp({ WEBHOOK_ALLOW_PRIVATE_URLS: 'true' });
    user = await createUser(t);
    const as = (token: string) => ({ Authorization: `Bearer ${token}` });
    const chat = await t.http().post('/api/v1/chat').set(as(user.token)).send({ message: 'hi' });
    ids.session = chat.body.session_id;
    ids.message = chat.body.message_id;
    ids.key = (
      await t.http().post('/api/v1/api-keys').set(as(user.token)).send({ name: 'k' })
    ).body.id;
    ids.hook = (
      await t
        .http()
        .post('/api/v1/webhooks')
        .set(as(user.token))
        .send({ url: 'http://127.0.0.1:9/hook', events: ['*'] })
    ).body.id;
    await t
      .http()
      .post('/api/v1/skills')
      .set(as(t.adminToken))
      .send({ name: 'odd', description: 'd', script: 'true', timeout_ms: 2000 })
      .expect(201);
    ids.other = (await createUser(t)).id;
  });
  afterAll(() => t.close());

  const STRINGS = [
    '',
    ' ',
    'hi <|endoftext|> <|im_start|>',
    'half \ud800 a pair',
    '\udfff',
    'nul \u0000',
    '🏳️‍🌈'.repeat(20),
    'x'.repeat(70_000),
    '\u202e',
    'data: [DONE]\n\n',
  ];
  const VALUES: unknown[] = [
    ...STRINGS,
    -1,
    0,
    1.5,
    1e308,
    true,
    null,
    [],
    {},
    ['x'],
    { a: 1 },
    '2026-13-45',
    '0001-01-01T00:00:00Z',
  ];
  const SEGMENTS = ['%', '%ZZ', '%ED%A0%80', '..%2F..', '-1', '0x10', '9'.repeat(40), 'é', '%00'];
  const QUERY = ['', '%', '%ED%A0%80', '-1', '1e999', '0x10', '[]', '2026-13-45', 'x'.repeat(3000)];

  type Case = [method: 'get' | 'post' | 'patch' | 'delete', path: string, body?: unknown];

  function cases(): Case[] {
    const out: Case[] = [];
    for (const v of VALUES) {
      const bodies: [Case[0], string, object[]][] = [
        [
          'post',
          '/api/v1/chat',
          [{ message: v }, { message: 'hi', session_id: v }, { message: 'hi', model: v }],
        ],
        ['post', '/api/v1/chat/stream', [{ message: v }]],
        [
          'post',
          '/v1/chat/completions',
          [
            { model: 'echo', messages: [{ role: 'user', content: v }] },
            { model: 'echo', messages: [{ role: 'user', content: [{ type: 'text', text: v }] }] },
            {
              model: 'echo',
              messages: [{ role: 'user', content: v }],
              stream: true,
              logprobs: true,
            },
            { model: 'echo', messages: [{ role: 'user', content: 'hi' }], max_tokens: v },
            { model: 'echo', messages: [{ role: 'user', content: 'hi' }], stop: v },
            { model: 'echo', messages: [{ role: 'user', content: 'hi' }], tool_choice: v },
            { model: 'echo', messages: [{ role: 'tool', content: v, tool_call_id: v }] },
            { model: v, messages: [{ role: 'user', content: 'hi' }] },
          ],
        ],
        [
          'post',
          '/api/v1/auth/login',
          [
            { email: v, password: 'x' },
            { email: 'a@example.com', password: v },
          ],
        ],
        [
          'post',
          '/api/v1/users',
          [
            { email: v, password: 'password123' },
            { email: 'odd@example.com', password: v },
          ],
        ],
        [
          'post',
          '/api/v1/api-keys',
          [{ name: v }, { name: 'k', models: v }, { name: 'k', expires_at: v }],
        ],
        [
          'post',
          '/api/v1/webhooks',
          [
            { url: v, events: ['*'] },
            { url: 'http://127.0.0.1:9/h', events: [v] },
          ],
        ],
        ['post', '/api/v1/sessions', [{ name: v }, { model: v }]],
        ['post', '/api/v1/skills', [{ name: v, description: 'd', script: 'true' }]],
        ['post', '/api/v1/skills/odd/run?wait=false', [{ params: { A: v } }, { params: v }]],
        ['patch', `/api/v1/sessions/${ids.session}`, [{ name: v }]],
        [
          'patch',
          `/api/v1/api-keys/${ids.key}`,
          [{ rate_limit_per_minute: v }, { tokens_per_day: v }],
        ],
        ['patch', `/api/v1/webhooks/${ids.hook}`, [{ events: v }, { active: v }]],
        [
          'patch',
          `/api/v1/users/${ids.other}`,
          [{ name: v }, { quota: v }, { quota: { tokens_per_day: v } }],
        ],
        ['patch', '/api/v1/skills/odd', [{ timeout_ms: v }, { description: v }]],
      ];
      for (const [method, path, list] of bodies)
        for (const body of list) out.push([method, path, body]);
    }
    for (const s of SEGMENTS) {
      for (const path of [
        `/api/v1/sessions/${s}`,
        `/api/v1/sessions/${s}/messages`,
        `/api/v1/messages/${s}`,
        `/api/v1/users/${s}`,
        `/api/v1/api-keys/${s}`,
        `/api/v1/webhooks/${s}`,
        `/api/v1/webhooks/${ids.hook}/deliveries/${s}`,
        `/api/v1/skills/${s}`,
        `/api/v1/skills/odd/runs/${s}`,
        `/v1/models/${s}`,
      ])
        out.push(['get', path], ['delete', path]);
    }
    for (const q of QUERY) {
      for (const path of [
        `/api/v1/sessions?limit=${q}&offset=${q}&order=${q}`,
        `/api/v1/sessions/${ids.session}/messages?order=${q}`,
        `/api/v1/usage?from=${q}&to=${q}&group_by=${q}`,
        `/api/v1/usage?user_id=${q}&group_by=user`,
        `/api/v1/usage/records?from=${q}&limit=${q}`,
        `/api/v1/users?search=${q}&limit=${q}`,
        `/api/v1/skills/odd/runs?limit=${q}`,
        `/api/v1/webhooks/${ids.hook}/deliveries?limit=${q}`,
        `/api/v1/sessions?limit[]=${q}&order[a]=${q}`,
      ])
        out.push(['get', path]);
    }
    const deep = '['.repeat(20_000) + ']'.repeat(20_000);
    for (const path of [
      '/api/v1/chat',
      '/v1/chat/completions',
      '/api/v1/webhooks',
      '/api/v1/users',
    ])
      out.push(['post', path, `{"message":"hi","model":"echo","messages":${deep}}`]);
    return out;
  }

  it('answers none of them with a 5xx, and every refusal in an error envelope', async () => {
    const wrong: string[] = [];
    for (const [method, path, body] of cases()) {
      const req = t.http()[method](path).set('Authorization', `Bearer ${t.adminToken}`);
      const res =
        body === undefined
          ? await req
          : await req.set('Content-Type', 'application/json').send(body as object);
      const text = res.text ?? '';
      const refusedBadly =
        res.status >= 400 &&
        !(res.body?.error?.code || res.body?.error?.type) &&
        !/^event: error/m.test(text);
      const streamCut =
        res.status === 200 &&
        /text\/event-stream/.test(String(res.headers['content-type'])) &&
        !text.endsWith('data: [DONE]\n\n');
      if (res.status >= 500 || refusedBadly || streamCut)
        wrong.push(`${res.status} ${method} ${path} ${JSON.stringify(body)?.slice(0, 80)}`);
    }
    expect(wrong).toEqual([]);
  });
});
