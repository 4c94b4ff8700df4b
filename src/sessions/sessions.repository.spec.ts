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
