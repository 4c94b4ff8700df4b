import { TurnMessage, TurnSession, turnStatement } from './sessions.repository';

const NOW = new Date('2026-12-04T00:00:00.000Z');
const USER = '6f1c2d3e-0000-4000-8000-000000000001';
const SESSION = '6f1c2d3e-0000-4000-8000-000000000002';

function messages(): [TurnMessage, TurnMessage] {
  const shared = { sessionId: SESSION, model: 'echo', createdAt: NOW };
  return [
    {
      ...shared,
      id: '6f1c2d3e-0000-4000-8000-00000000000a',
      role: 'user',
      content: 'hello',
      tokens: 3,
      status: 'complete',
    },
    {
      ...shared,
      id: '6f1c2d3e-0000-4000-8000-00000000000b',
      role: 'assistant',
      content: 'hi there',
      tokens: 5,
      status: 'incomplete',
    },
  ];
}

/** The value each placeholder of the statement stands for, in the order they appear. */
function bound(sql: string, values: unknown[]): unknown[] {
  return [...sql.matchAll(/\$(\d+)/g)].map((m) => values[Number(m[1]) - 1]);
}

describe(turnStatement.name, () => {
  const fresh: TurnSession = { id: SESSION, isNew: true, name: 'Greeting', model: null };
  const existing: TurnSession = { id: SESSION, isNew: false };

  it.each([
    ['a new session', fresh],
    ['an existing session', existing],
  ])('for %s, numbers its placeholders 1..n with no value left unused', (_, session) => {
    const { sql, values } = turnStatement(USER, session, messages(), NOW);
    const used = new Set([...sql.matchAll(/\$(\d+)/g)].map((m) => Number(m[1])));
    expect([...used].sort((a, b) => a - b)).toEqual(values.map((_v, i) => i + 1));
  });

  it('inserts a new session with its owner, name and model, both counters at 2', () => {
    const { sql, values } = turnStatement(USER, fresh, messages(), NOW);
    const insert = /INSERT INTO sessions \(([^)]*)\)\s*VALUES \(([^)]*)\)/.exec(sql)!;
    const columns = insert[1].split(',').map((c) => c.trim());
    const given = insert[2].split(',').map((v) => v.trim());
    const row = Object.fromEntries(
      columns.map((c, i) => [c, /^\$\d+$/.test(given[i]) ? bound(given[i], values)[0] : given[i]]),
    );
    expect(row).toEqual({
      id: SESSION,
      user_id: USER,
      name: 'Greeting',
      model: null,
      last_seq: '2',
      message_count: '2',
      created_at: NOW,
      updated_at: NOW,
    });
  });

  it('bumps an existing session instead, binding no owner, name or model', () => {
    const { sql, values } = turnStatement(USER, existing, messages(), NOW);
    expect(sql).not.toContain('INSERT INTO sessions');
    expect(sql).toMatch(
      /UPDATE sessions SET last_seq = last_seq \+ 2, message_count = message_count \+ 2/,
    );
    expect(values).not.toContain(USER);
    expect(values).not.toContain('Greeting');
  });

  it("gives the question the seq below the reply's, each message its own fields", () => {
    const { sql, values } = turnStatement(USER, existing, messages(), NOW);
    const rows = [
      ...sql.matchAll(
        /\((\$\d+)::uuid, (-?\d+), (\$\d+)::text, (\$\d+)::text, (\$\d+)::int, (\$\d+)::text\)/g,
      ),
    ];
    expect(
      rows.map(([, id, offset, role, content, tokens, status]) => [
        ...bound(id, values),
        Number(offset),
        ...bound(`${role}${content}${tokens}${status}`, values),
      ]),
    ).toEqual([
      ['6f1c2d3e-0000-4000-8000-00000000000a', -1, 'user', 'hello', 3, 'complete'],
      ['6f1c2d3e-0000-4000-8000-00000000000b', 0, 'assistant', 'hi there', 5, 'incomplete'],
    ]);
  });
});

/** The columns of `INSERT INTO <table> (columns) <VALUES|SELECT> (values)` with what each is given. */
function inserted(sql: string, values: unknown[], table: string): Record<string, unknown> {
  const at = sql.indexOf(`INSERT INTO ${table} (`);
  const columns = sql
    .slice(sql.indexOf('(', at) + 1, sql.indexOf(')', at))
    .split(',')
    .map((c) => c.trim());
  const rest = sql.slice(sql.indexOf(')', at) + 1).replace(/^\s*(VALUES \(|SELECT )/, '');
  const given = rest
    .split(',')
    .slice(0, columns.length)
    .map((v) => /^\s*(\$\d+|\w+)/.exec(v)![1]);
  return Object.fromEntries(
    columns.map((c, i) => [c, /^\$\d+$/.test(given[i]) ? bound(given[i], values)[0] : given[i]]),
  );
}

describe('turnStatement texts', () => {
  const record = {
    userId: USER,
    apiKeyId: null,
    model: 'echo',
    provider: 'echo',
    endpoint: 'chat',
    status: 'complete',
    inputTokens: 3,
    outputTokens: 5,
    costUsd: null,
    latencyMs: 12,
    createdAt: NOW,
  } as const;

  it('are written once per name, and every later call binds its own values in their places', () => {
    const fresh: TurnSession = { id: SESSION, isNew: true, name: 'Greeting', model: null };
    const first = turnStatement(USER, fresh, messages(), NOW, record);
    const other: TurnSession = {
      id: '6f1c2d3e-0000-4000-8000-000000000003',
      isNew: true,
      name: 'Other',
      model: 'm2',
    };
    const owner = '6f1c2d3e-0000-4000-8000-000000000009';
    const later = new Date('2026-12-05T00:00:00.000Z');
    const key = '6f1c2d3e-0000-4000-8000-000000000004';
    const next = turnStatement(owner, other, messages(), later, {
      ...record,
      userId: owner,
      apiKeyId: key,
      costUsd: 0.25,
      createdAt: later,
    });
    expect(next.sql).toBe(first.sql);
    expect(turnStatement(USER, fresh, messages(), NOW).sql).not.toBe(first.sql);
    expect(inserted(next.sql, next.values, 'sessions')).toEqual({
      id: other.id,
      user_id: owner,
      name: 'Other',
      model: 'm2',
      last_seq: '2',
      message_count: '2',
      created_at: later,
      updated_at: later,
    });
    expect(inserted(next.sql, next.values, 'usage_records')).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      user_id: owner,
      api_key_id: key,
      model: 'echo',
      provider: 'echo',
      endpoint: 'chat',
      status: 'complete',
      input_tokens: 3,
      output_tokens: 5,
      cost_usd: 0.25,
      latency_ms: 12,
      created_at: later,
    });
  });
});
