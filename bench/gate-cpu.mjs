// CPU the completion gate adds to one provider call, measured in-process on the built server
// (npm run build first): `admit` + `record` + `settle` as /v1 (the record written by the gate) and
// as a chat turn (the record written by the turn), for a caller without limits and one with a quota.
// The provider, HTTP and the turn itself are left out: this is the part the usage work adds.
//   node bench/gate-cpu.mjs [--calls 2000] [--rounds 5] [--concurrency 1]
// --concurrency N keeps N calls in flight, as the benchmark's 50 connections do (records share statements then).
// Needs PostgreSQL (BENCH_PG_URL, a database is created and dropped) and Redis (BENCH_REDIS_URL).
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { URL } from 'node:url';
import { parseArgs } from 'node:util';

import pg from 'pg';

const require = createRequire(import.meta.url);
const { createApp } = require('../dist/src/create-app.js');
const { loadEnv } = require('../dist/src/core/env/env.js');
const { COMPLETION_GATE } = require('../dist/src/completions/completion-gate.js');

const { values: args } = parseArgs({
  options: {
    calls: { type: 'string', default: '2000' },
    rounds: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '1' },
  },
});
const CALLS = Number(args.calls);
const ROUNDS = Number(args.rounds);
const CONCURRENCY = Number(args.concurrency);
const PG_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/14';

const database = `openclaw_gate_cpu_${process.pid}`;
const admin = new pg.Client({ connectionString: PG_URL });
await admin.connect();
await admin.query(`CREATE DATABASE "${database}"`);
const url = new URL(PG_URL);
url.pathname = `/${database}`;

const env = loadEnv(
  {
    NODE_ENV: 'production',
    JWT_SECRET: 'gate-cpu-bench-secret-0123456789abcdef',
    DATABASE_URL: url.toString(),
    REDIS_URL,
    ROLE: 'api',
    LOG_LEVEL: 'error',
    ADMIN_EMAIL: 'admin@example.test',
    ADMIN_PASSWORD: 'admin-password-123',
  },
  false,
);
const app = await createApp(env);
await app.init();
const gate = app.get(COMPLETION_GATE);

const principal = (quota) => ({
  userId: randomUUID(),
  email: 'bench@example.test',
  role: 'user',
  via: 'api_key',
  apiKeyId: randomUUID(),
  keyRateLimitPerMinute: null,
  quota,
  keyModels: null,
  keyTokensPerDay: null,
});
const outcome = () => ({ status: 'complete', inputTokens: 11, outputTokens: 7, latencyMs: 3 });

/** CALLS calls of `one`, CONCURRENCY at a time. */
async function run(one, calls) {
  let next = 0;
  const lane = async () => {
    while (next < calls) {
      next++;
      await one();
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, lane));
}

/** CPU µs per call (user + system of this process) over CALLS calls. */
async function measure(name, quota, recorded) {
  const who = principal(quota);
  const call = {
    principal: who,
    endpoint: '/v1/chat/completions',
    model: 'gpt-4o',
    provider: 'openai',
  };
  const one = async () => {
    await gate.admit(call);
    if (recorded === null) return;
    const o = outcome();
    if (recorded) gate.record(call, o);
    await gate.settle(call, o, recorded);
  };
  await run(one, 200);
  const start = process.cpuUsage();
  await run(one, CALLS);
  const used = process.cpuUsage(start);
  return { name, us: (used.user + used.system) / CALLS };
}

const only = process.env.GATE_CPU_ONLY;
const cases = [
  ['admit only, no limit', null, null],
  ['/v1, no limit (record by the gate)', null, false],
  ['chat, no limit (record by the turn)', null, true],
  ['/v1, daily quota (record by the gate)', { tokens_per_day: 1e12 }, false],
  ['chat, daily quota (record by the turn)', { tokens_per_day: 1e12 }, true],
];
if (only) cases.splice(0, cases.length, ...cases.filter(([name]) => name.startsWith(only)));
const results = new Map(cases.map(([name]) => [name, []]));
try {
  for (let r = 0; r < ROUNDS; r++) {
    for (const [name, quota, recorded] of cases) {
      results.get(name).push((await measure(name, quota, recorded)).us);
    }
  }
} finally {
  await app.close();
  await admin.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
  await admin.end();
}
// Other processes on a shared machine only ever add to a round's CPU: the least is the gate's own.
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const [name, us] of results) {
  process.stdout.write(
    `${name.padEnd(42)} least ${(Math.min(...us) / 1000).toFixed(3)}, median ${(median(us) / 1000).toFixed(3)} ms CPU/call  (rounds: ${us
      .map((u) => (u / 1000).toFixed(3))
      .join(', ')})\n`,
  );
}
