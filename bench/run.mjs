// The OpenClaw benchmark harness: see bench/README.md.
//   node bench/run.mjs --mode full|quick|smoke [--out DIR] [--no-build] [--portkey|--no-portkey]
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { URL } from 'node:url';
import { parseArgs } from 'node:util';

import { Queue } from 'bullmq';
import pg from 'pg';

import { cannon, streamLoad } from './lib/load.mjs';
import {
  ask,
  cleanupAll,
  freePort,
  measure,
  onCleanup,
  rssMiB,
  startCommand,
  startHelper,
  stop,
} from './lib/proc.mjs';
import { topFrames } from './lib/profile.mjs';
import { writeReport } from './lib/report.mjs';
import {
  buildServer,
  createPgDatabase,
  flushRedisKeys,
  REDIS_URL,
  redisVersion,
  ROOT,
  roundTrips,
  seedMessages,
  startServer,
} from './lib/server.mjs';

// quick: fewer and shorter points (1 and 50 connections, where the targets are; row 7 at 10) so
// that it ends within two minutes including the build; smoke: every point, one second each.
const MODES = {
  full: {
    seconds: 10,
    warmup: 2,
    conns: [1, 10, 50],
    row7Conns: [1, 10, 50],
    hookTurns1: 5000,
    hookTurns50: 100,
    skillRuns: 1000,
    longSeed: 500,
    portkey: true,
  },
  quick: {
    seconds: 2,
    warmup: 0.5,
    conns: [1, 50],
    row7Conns: [10],
    hookTurns1: 200,
    hookTurns50: 4,
    skillRuns: 100,
    longSeed: 50,
    portkey: false,
  },
  smoke: {
    seconds: 1,
    warmup: 0,
    conns: [1, 10, 50],
    row7Conns: [1, 10, 50],
    hookTurns1: 50,
    hookTurns50: 2,
    skillRuns: 20,
    longSeed: 20,
    portkey: false,
  },
};
const SERVER_ENV = { WEBHOOK_CONCURRENCY: '50', SKILL_CONCURRENCY: '8' };
const UPSTREAM_ENV = {
  BENCH_UPSTREAM_DELAY_MS: process.env.BENCH_UPSTREAM_DELAY_MS ?? '0',
  BENCH_STREAM_CHUNKS: process.env.BENCH_STREAM_CHUNKS ?? '8',
  BENCH_CHUNK_DELAY_MS: process.env.BENCH_CHUNK_DELAY_MS ?? '0',
};
const PORTKEY_VERSION = '1.15.2';
const COMPLETION = {
  model: 'gpt-4o',
  messages: [{ role: 'user', content: 'Hello, how are you?' }],
};
const FLOOR_API_KEY = `oc_${randomBytes(24).toString('hex')}`;
const CHAT = { message: 'Hello, how are you?', model: 'gpt-4o' };

const { values: args } = parseArgs({
  options: {
    mode: { type: 'string', default: 'quick' },
    out: { type: 'string' },
    build: { type: 'boolean', default: true },
    'no-build': { type: 'boolean', default: false },
    portkey: { type: 'boolean' },
    'no-portkey': { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    note: { type: 'string' },
    // Markdown written by hand after looking at a run (profiles, what was tried), kept in the results.
    analysis: { type: 'string' },
    // Re-renders a results .json (e.g. with a new --analysis) without measuring anything.
    render: { type: 'string' },
    // Node flags for the server, e.g. the V8 sizes of a container: the image's command under the
    // manifests' 512 MiB limit is "--max-old-space-size=256 --max-semi-space-size=16" (analysis.md).
    'node-flags': { type: 'string', default: '' },
  },
});
const NODE_FLAGS = args['node-flags'].split(' ').filter(Boolean);
const mode = MODES[args.mode];
if (!mode) throw new Error(`--mode must be one of ${Object.keys(MODES).join(', ')}`);
const usePortkey = args['no-portkey'] ? false : (args.portkey ?? mode.portkey);

const report = {
  date: new Date().toISOString(),
  mode: args.mode,
  settings: { ...mode, upstream: UPSTREAM_ENV, serverEnv: SERVER_ENV, serverNodeFlags: NODE_FLAGS },
  machine: {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    loadavgStart: os
      .loadavg()
      .map((n) => n.toFixed(2))
      .join(' '),
  },
  rows: [],
  skipped: {},
  ...(args.note ? { notes: args.note } : {}),
  ...(args.analysis ? { analysis: readFileSync(args.analysis, 'utf8') } : {}),
};
const log = (msg) =>
  process.stdout.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

/** One measured point: the load, with the target process's CPU and peak RSS around it. */
async function point(row, variant, pid, work, extra = {}) {
  const { result, cpuSeconds, peakRssMiB } = await measure(pid, work);
  const done = result.ok ?? result.count ?? 0;
  const p = {
    row,
    variant,
    ...extra,
    ...result,
    cpuMsPerOp: done > 0 ? (cpuSeconds * 1000) / done : null,
    cpuUtil: result.seconds ? cpuSeconds / result.seconds : null,
    peakRssMiB,
  };
  report.rows.push(p);
  const f = (n, d = 2) => (n === null || n === undefined ? '-' : Number(n).toFixed(d));
  log(
    `row ${row} ${variant} c=${p.connections ?? '-'}: ${f(p.rps, 0)}/s p50 ${f(p.p50)} ms p99 ${f(p.p99)} ms ` +
      `cpu ${f(p.cpuMsPerOp, 3)} ms/op rss ${f(peakRssMiB, 0)} MiB errors ${(p.non2xx ?? 0) + (p.errors ?? 0)}`,
  );
  return p;
}

async function cannonRow(row, variant, pid, opts, conns = mode.conns) {
  for (const connections of conns) {
    await point(row, variant, pid, (onMeasureStart) =>
      cannon({
        ...opts,
        connections,
        seconds: mode.seconds,
        warmupSeconds: mode.warmup,
        onMeasureStart,
      }),
    );
  }
}

async function portkeyRows(upstream) {
  const dir = mkdtempSync(join(os.tmpdir(), 'openclaw-bench-portkey-'));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  log(`installing @portkey-ai/gateway@${PORTKEY_VERSION} into ${dir}`);
  try {
    execFileSync('npm', ['init', '-y'], { cwd: dir, stdio: 'ignore' });
    execFileSync(
      'npm',
      [
        'install',
        `@portkey-ai/gateway@${PORTKEY_VERSION}`,
        '--no-audit',
        '--no-fund',
        '--ignore-scripts',
      ],
      { cwd: dir, stdio: 'pipe', timeout: 240_000 },
    );
  } catch (err) {
    return `could not be installed from the npm registry here: ${String(err.stderr ?? err.message).slice(0, 300)}`;
  }
  const port = await freePort();
  const child = startCommand(
    'portkey',
    process.execPath,
    [
      join(dir, 'node_modules/@portkey-ai/gateway/build/start-server.js'),
      `--port=${port}`,
      '--headless',
    ],
    { cwd: dir, env: { PATH: process.env.PATH, HOME: dir, NODE_ENV: 'production' } },
  );
  const headers = {
    authorization: 'Bearer sk-bench',
    'x-portkey-provider': 'openai',
    'x-portkey-custom-host': `http://127.0.0.1:${upstream.port}/v1`,
  };
  const url = `http://127.0.0.1:${port}/v1/chat/completions`;
  try {
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null) return `exited at start-up: ${child.output.slice(-300)}`;
      if (Date.now() > deadline) return `did not answer within 30 s: ${child.output.slice(-300)}`;
      try {
        const res = await fetch(url, {
          method: 'POST',
          headers: { ...headers, 'content-type': 'application/json' },
          body: JSON.stringify(COMPLETION),
        });
        const text = await res.text();
        if (res.status === 200) break;
        return `answered ${res.status} through to the bench upstream: ${text.slice(0, 300)}`;
      } catch {
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    await cannonRow('portkey', 'Portkey gateway → upstream', child.pid, {
      url,
      method: 'POST',
      headers,
      body: COMPLETION,
    });
    return null;
  } finally {
    await stop(child);
  }
}

async function chatRows(server, dbLabel) {
  const auth = { authorization: `Bearer ${server.apiKey}` };
  const pid = server.child.pid;
  await cannonRow(5, `new session each (${dbLabel})`, pid, {
    url: `${server.origin}/api/v1/chat`,
    method: 'POST',
    headers: auth,
    body: CHAT,
  });
  if (dbLabel === 'PostgreSQL') {
    // Every turn is recorded anyway; this caller's quota is also checked before each one.
    const quotaKey = await userWithQuota(server);
    await cannonRow(5, `new session each, with a daily quota (${dbLabel})`, pid, {
      url: `${server.origin}/api/v1/chat`,
      method: 'POST',
      headers: { authorization: `Bearer ${quotaKey}` },
      body: CHAT,
    });
  }
  const session = await server.api(
    'POST',
    '/api/v1/sessions',
    { name: 'bench long', model: 'gpt-4o' },
    server.apiKey,
  );
  log(`seeding the long session with ${mode.longSeed} turns through the API`);
  await cannon({
    url: `${server.origin}/api/v1/chat`,
    method: 'POST',
    headers: auth,
    body: { ...CHAT, session_id: session.id },
    connections: 10,
    amount: mode.longSeed,
  });
  await cannonRow(5, `one long session (${dbLabel})`, pid, {
    url: `${server.origin}/api/v1/chat`,
    method: 'POST',
    headers: auth,
    body: { ...CHAT, session_id: session.id },
  });
}

/** An API key of a new user whose daily token quota is far above what the bench uses. */
async function userWithQuota(server) {
  const who = {
    email: `bench-quota-${Date.now()}@openclaw.local`,
    password: 'bench-quota-password',
  };
  const user = await server.api('POST', '/api/v1/users', who, server.adminToken);
  await server.api(
    'PATCH',
    `/api/v1/users/${user.id}`,
    { quota: { tokens_per_day: 1e12 } },
    server.adminToken,
  );
  const { access_token: token } = await server.api('POST', '/api/v1/auth/login', who);
  return (await server.api('POST', '/api/v1/api-keys', { name: 'bench quota' }, token)).key;
}

async function streamRows(server, upstream) {
  for (const connections of mode.conns) {
    const opts = { connections, seconds: mode.seconds, warmupSeconds: mode.warmup };
    await point(6, 'upstream stream, direct', upstream.pid, (onMeasureStart) =>
      streamLoad({
        ...opts,
        onMeasureStart,
        origin: `http://127.0.0.1:${upstream.port}`,
        path: '/v1/chat/completions',
        body: { ...COMPLETION, stream: true },
      }),
    );
    await point(6, 'POST /api/v1/chat/stream', server.child.pid, (onMeasureStart) =>
      streamLoad({
        ...opts,
        onMeasureStart,
        origin: server.origin,
        path: '/api/v1/chat/stream',
        headers: { authorization: `Bearer ${server.apiKey}` },
        body: CHAT,
      }),
    );
  }
}

async function messagesRows(server, db) {
  const sizes = [
    { count: 10_000, conns: mode.row7Conns },
    { count: 100, conns: [10] },
  ];
  const points = [];
  for (const { count, conns } of sizes) {
    const session = await server.api(
      'POST',
      '/api/v1/sessions',
      { name: `bench ${count}` },
      server.apiKey,
    );
    await seedMessages(db, session.id, count);
    const opts = {
      url: `${server.origin}/api/v1/sessions/${session.id}/messages?limit=50`,
      headers: { authorization: `Bearer ${server.apiKey}` },
    };
    points.push({ count, conns, opts });
  }
  // Both sessions are read before either is measured, so neither size pays for the route's JIT
  // warm-up and "flat" compares like with like.
  if (mode.warmup > 0)
    for (const { opts } of points)
      await cannon({ ...opts, connections: 10, seconds: Math.max(1, mode.warmup * 2) });
  for (const { count, conns, opts } of points)
    await cannonRow(7, `${count} messages`, server.child.pid, opts, conns);
}

/** Waits until `check` says done, or nothing has moved for `idleMs`. */
async function settle(check, idleMs) {
  let last = -1;
  let lastChange = Date.now();
  for (;;) {
    const { done, progress } = await check();
    if (done) return true;
    if (progress !== last) {
      last = progress;
      lastChange = Date.now();
    } else if (Date.now() - lastChange > idleMs) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** `turns` chat turns, 10 at a time, each causing two `message.created` events. */
function chatTurns(server, turns) {
  return cannon({
    url: `${server.origin}/api/v1/chat`,
    method: 'POST',
    headers: { authorization: `Bearer ${server.apiKey}` },
    body: CHAT,
    connections: 10,
    amount: turns,
  });
}

/** Waits for `expected` distinct deliveries at the receiver (or 15 s without progress). */
async function deliveries(receiver, expected) {
  let stats;
  const complete = await settle(async () => {
    stats = await ask(receiver, { cmd: 'stats' }, 'stats');
    return { done: stats.unique >= expected, progress: stats.count };
  }, 15_000);
  return { stats, complete };
}

/** A row 8 point from the turns' load and what the receiver got. */
function deliveryPoint(load, { stats, complete }, expected, seconds, extra) {
  return {
    connections: 10,
    turns: load.ok,
    turnRps: load.rps,
    ...extra,
    non2xx: load.non2xx,
    errors: load.errors + (expected - stats.unique) + stats.badSignature,
    expected,
    count: stats.unique,
    duplicates: stats.count - stats.unique,
    badSignature: stats.badSignature,
    complete,
    seconds,
    rps: stats.unique / seconds,
    p50: stats.lagP50,
    p99: stats.lagP99,
  };
}

async function webhookRows(server) {
  const receiver = await startHelper('./receiver.mjs');
  try {
    for (const [subscribers, turns] of [
      [1, mode.hookTurns1],
      [50, mode.hookTurns50],
    ]) {
      const hooks = [];
      const secrets = {};
      for (let i = 0; i < subscribers; i++) {
        const path = `/hook/${subscribers}/${i}`;
        const hook = await server.api(
          'POST',
          '/api/v1/webhooks',
          { url: `http://127.0.0.1:${receiver.port}${path}`, events: ['message.created'] },
          server.apiKey,
        );
        hooks.push(hook);
        secrets[path] = hook.secret;
      }
      receiver.send({ cmd: 'secrets', secrets });
      receiver.send({ cmd: 'reset' });
      const expected = turns * 2 * subscribers;
      await point(
        8,
        `${subscribers} subscriber${subscribers > 1 ? 's' : ''}`,
        server.child.pid,
        async () => {
          const t0 = Date.now();
          const load = await chatTurns(server, turns);
          const got = await deliveries(receiver, load.ok * 2 * subscribers);
          const last = got.stats.last;
          return deliveryPoint(load, got, expected, last ? (last - t0) / 1000 : load.seconds);
        },
      );
      if (subscribers === 1) await drainRow(server, receiver, turns);
      for (const hook of hooks)
        await server.api('DELETE', `/api/v1/webhooks/${hook.id}`, undefined, server.apiKey);
    }
  } finally {
    await stop(receiver);
  }
}

/**
 * Row 8's delivery pipeline on its own: the same turns with the server's delivery queue paused,
 * then the backlog delivered once it resumes. Rate and CPU cover the drain only, not the turns.
 */
async function drainRow(server, receiver, turns) {
  const url = new URL(REDIS_URL);
  const queue = new Queue('webhook-deliveries', {
    prefix: 'openclaw:bull',
    connection: {
      host: url.hostname,
      port: Number(url.port || 6379),
      db: Number(url.pathname.slice(1) || 0),
    },
  });
  try {
    receiver.send({ cmd: 'reset' });
    await queue.pause();
    const load = await chatTurns(server, turns);
    const expected = load.ok * 2;
    // A turn's answer comes after its deliveries' jobs are queued, so the whole backlog is there.
    const queued = await queue.getJobCounts('paused', 'wait');
    await point(8, 'backlog of 1 subscriber drained', server.child.pid, async () => {
      const t0 = Date.now();
      await queue.resume();
      const got = await deliveries(receiver, expected);
      const seconds = ((got.stats.last || Date.now()) - t0) / 1000;
      // The lag would measure the pause.
      return {
        ...deliveryPoint(load, got, expected, seconds, { backlog: queued.paused + queued.wait }),
        p50: null,
        p99: null,
      };
    });
  } finally {
    await queue.resume().catch(() => undefined);
    await queue.close();
  }
}

async function skillRows(server, db) {
  const skills = [
    { name: 'bench-true', script: 'true', body: {}, expect: '' },
    {
      name: 'bench-echo',
      script: 'echo "$PARAM_MSG"',
      body: { params: { msg: 'hello, bench' } },
      expect: 'hello, bench\n',
    },
  ];
  for (const skill of skills) {
    await server.api(
      'POST',
      '/api/v1/skills',
      { name: skill.name, description: 'benchmark', script: skill.script, timeout_ms: 10_000 },
      server.adminToken,
    );
    await point(9, `${skill.name}: \`${skill.script}\``, server.child.pid, async () => {
      const load = await cannon({
        url: `${server.origin}/api/v1/skills/${skill.name}/run?wait=false`,
        method: 'POST',
        headers: { authorization: `Bearer ${server.apiKey}` },
        body: skill.body,
        connections: 10,
        amount: mode.skillRuns,
      });
      const query = async () =>
        (
          await db.query(
            `SELECT count(*)::int AS total,
                    count(*) FILTER (WHERE r.status IN ('succeeded','failed','timed_out'))::int AS finished,
                    count(*) FILTER (WHERE r.status <> 'succeeded' OR r.stdout <> $2)::int AS wrong,
                    extract(epoch FROM min(r.created_at)) AS t0,
                    extract(epoch FROM max(r.finished_at)) AS t1,
                    percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM r.finished_at - r.created_at)) AS p50,
                    percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM r.finished_at - r.created_at)) AS p99
               FROM skill_runs r JOIN skills s ON s.id = r.skill_id WHERE s.name = $1`,
            [skill.name, skill.expect],
          )
        ).rows[0];
      let q;
      await settle(async () => {
        q = await query();
        return { done: q.finished >= load.ok, progress: q.finished };
      }, 15_000);
      const seconds = q.t1 && q.t0 ? Number(q.t1) - Number(q.t0) : load.seconds;
      return {
        connections: 10,
        enqueueRps: load.rps,
        non2xx: load.non2xx,
        errors: load.errors + q.wrong + (load.ok - q.finished),
        count: q.finished,
        seconds,
        rps: q.finished / seconds,
        p50: q.p50 === null ? null : q.p50 * 1000,
        p99: q.p99 === null ? null : q.p99 * 1000,
      };
    });
  }
}

async function main() {
  const built = buildServer({ skip: args['no-build'] || !args.build, log });
  report.machine.redis = await redisVersion();
  await flushRedisKeys();
  onCleanup(flushRedisKeys);

  const upstream = await startHelper('./upstream.mjs', UPSTREAM_ENV);
  const upstreamUrl = `http://127.0.0.1:${upstream.port}`;
  log(`upstream on ${upstreamUrl}`);
  await cannonRow(1, 'upstream direct', upstream.pid, {
    url: `${upstreamUrl}/v1/chat/completions`,
    method: 'POST',
    body: COMPLETION,
  });

  for (const [row, file, variant] of [
    [2, './proxy.mjs', 'node:http + undici proxy'],
    [3, './nest-proxy.mjs', 'NestJS (Express) forward'],
  ]) {
    const proxy = await startHelper(file, { BENCH_UPSTREAM: upstreamUrl });
    await cannonRow(row, variant, proxy.pid, {
      url: `http://127.0.0.1:${proxy.port}/v1/chat/completions`,
      method: 'POST',
      body: COMPLETION,
    });
    await stop(proxy);
  }

  // PostgreSQL: row 3+ (its own tables) and rows 4-9.
  const pgDb = await createPgDatabase();
  report.machine.postgres = pgDb.version;
  report.machine.roundTrips = await roundTrips(pgDb.url, args.mode === 'smoke' ? 200 : 2000);
  log(`round trips at 1 connection, p50: ${JSON.stringify(report.machine.roundTrips)}`);
  const floor = await startHelper('./nest-floor.mjs', {
    BENCH_UPSTREAM: upstreamUrl,
    BENCH_PG_URL: pgDb.url,
    BENCH_REDIS_URL: REDIS_URL,
    BENCH_API_KEY: FLOOR_API_KEY,
  });
  await cannonRow(
    '3+',
    'NestJS forward with what /v1 requires (auth, Redis rate limit, validation, usage INSERT, log, metrics)',
    floor.pid,
    {
      url: `http://127.0.0.1:${floor.port}/v1/chat/completions`,
      method: 'POST',
      headers: { authorization: `Bearer ${FLOOR_API_KEY}` },
      body: COMPLETION,
    },
  );
  await cannonRow(
    '5+',
    'NestJS chat turn with what /api/v1/chat requires (as 3+, plus session, messages and usage in one statement)',
    floor.pid,
    {
      url: `http://127.0.0.1:${floor.port}/api/v1/chat`,
      method: 'POST',
      headers: { authorization: `Bearer ${FLOOR_API_KEY}` },
      body: CHAT,
    },
  );
  for (const connections of mode.conns) {
    await point(
      '6+',
      'NestJS stream turn doing only what /api/v1/chat/stream requires (the floor of row 6)',
      floor.pid,
      (onMeasureStart) =>
        streamLoad({
          connections,
          seconds: mode.seconds,
          warmupSeconds: mode.warmup,
          onMeasureStart,
          origin: `http://127.0.0.1:${floor.port}`,
          path: '/api/v1/chat/stream',
          headers: { authorization: `Bearer ${FLOOR_API_KEY}` },
          body: CHAT,
        }),
    );
  }
  await stop(floor);

  if (usePortkey) {
    const why = await portkeyRows(upstream);
    if (why) report.skipped.portkey = `@portkey-ai/gateway@${PORTKEY_VERSION} ${why}`;
  } else {
    report.skipped.portkey = `not run in ${args.mode} mode (it is installed from npm at bench time; run \`npm run bench\` or pass --portkey)`;
  }

  const db = new pg.Client({ connectionString: pgDb.url });
  // Kept after the run (its path is printed) for a closer look in Chrome DevTools.
  const profileDir = args.profile ? mkdtempSync(join(os.tmpdir(), 'openclaw-bench-prof-')) : null;
  let server = await startServer({
    built,
    execArgv: [
      ...NODE_FLAGS,
      ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []),
    ],
    databaseUrl: pgDb.url,
    upstreamPort: upstream.port,
    env: SERVER_ENV,
  });
  log(`server (PostgreSQL) on ${server.origin}, pid ${server.child.pid}`);
  await db.connect();
  try {
    await cannonRow(4, 'POST /v1/chat/completions', server.child.pid, {
      url: `${server.origin}/v1/chat/completions`,
      method: 'POST',
      headers: { authorization: `Bearer ${server.apiKey}` },
      body: COMPLETION,
    });
    await chatRows(server, 'PostgreSQL');
    await streamRows(server, upstream);
    await messagesRows(server, db);
    await webhookRows(server);
    await skillRows(server, db);
    report.machine.serverPeakRssMiB = Number(rssMiB(server.child.pid, 'VmHWM').toFixed(1));
  } finally {
    await db.end();
    await stop(server.child);
  }
  // Scale-out's wait: a new process on the database the first one migrated.
  server = await startServer({
    built,
    execArgv: NODE_FLAGS,
    databaseUrl: pgDb.url,
    upstreamPort: upstream.port,
    env: SERVER_ENV,
  });
  report.coldStartMs = Math.round(server.readyMs);
  log(`cold start (PostgreSQL, migrated): /health/ready 200 after ${report.coldStartMs} ms`);
  // What the server holds before any load: the floor under the peak RSS target.
  await new Promise((r) => setTimeout(r, 1000));
  report.machine.serverIdleRssMiB = Number(rssMiB(server.child.pid).toFixed(1));
  await stop(server.child);
  if (profileDir) {
    report.profile = topFrames(profileDir, ROOT);
    log(`server CPU profile kept in ${profileDir}`);
  }
  await flushRedisKeys();

  // SQLite: row 5 again.
  const sqliteDir = mkdtempSync(join(os.tmpdir(), 'openclaw-bench-sqlite-'));
  onCleanup(() => rmSync(sqliteDir, { recursive: true, force: true }));
  server = await startServer({
    built,
    execArgv: NODE_FLAGS,
    databaseUrl: `sqlite:${join(sqliteDir, 'bench.db')}`,
    upstreamPort: upstream.port,
    env: SERVER_ENV,
  });
  log(`server (SQLite) on ${server.origin}, pid ${server.child.pid}`);
  try {
    await chatRows(server, 'SQLite');
  } finally {
    await stop(server.child);
  }
  await stop(upstream);

  report.machine.loadavgEnd = os
    .loadavg()
    .map((n) => n.toFixed(2))
    .join(' ');
  const outDir =
    args.out ??
    (args.mode === 'smoke'
      ? mkdtempSync(join(os.tmpdir(), 'openclaw-bench-smoke-'))
      : join(ROOT, 'bench/results'));
  mkdirSync(outDir, { recursive: true });
  const { files, targets } = await writeReport(report, outDir);
  for (const t of targets) log(`${t.status.padEnd(4)} ${t.name}: ${t.measured}`);
  log(`wrote ${files.join(' and ')}`);
  const missingRows = [1, 2, 3, '3+', 4, '5+', 5, 6, '6+', 7, 8, 9].filter(
    (r) => !report.rows.some((p) => p.row === r),
  );
  if (missingRows.length) throw new Error(`rows without a result: ${missingRows.join(', ')}`);
}

async function render(file) {
  const saved = JSON.parse(readFileSync(file, 'utf8'));
  delete saved.targets;
  if (args.analysis) saved.analysis = readFileSync(args.analysis, 'utf8');
  const { files } = await writeReport(saved, args.out ?? dirname(file));
  log(`wrote ${files.join(' and ')}`);
}

(args.render ? render(args.render) : main())
  .then(() => cleanupAll())
  .then(() => process.exit(0))
  .catch(async (err) => {
    process.stderr.write(`\nbench failed: ${err.stack ?? err.message}\n`);
    await cleanupAll();
    process.exit(1);
  });
