// Where one row's CPU goes: the built server under `node --cpu-prof`, one row's load for a while,
// and the main thread's samples inside that window summed by package. See bench/README.md.
// Rows 3+ and 5+ profile the bench's floor app (lib/nest-floor.mjs) instead, for a side-by-side.
//   node bench/profile.mjs [--rows 4,5,5-long,6,7,3+,5+,6+] [--seconds 8] [--connections 50] [--no-build]
//     [--keep DIR] (the .cpuprofile files are left in DIR, for DevTools)
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import pg from 'pg';

import { cannon } from './lib/load.mjs';
import { cleanupAll, cpuSeconds, onCleanup, quiet, startHelper, stop } from './lib/proc.mjs';
import {
  buildServer,
  createPgDatabase,
  flushRedisKeys,
  seedMessages,
  startServer,
} from './lib/server.mjs';

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '4,5,5-long,7' },
    seconds: { type: 'string', default: '8' },
    connections: { type: 'string', default: '50' },
    build: { type: 'boolean', default: true },
    top: { type: 'string', default: '18' },
    keep: { type: 'string' },
  },
  allowNegative: true,
});
const log = (msg) => process.stderr.write(`[profile] ${msg}\n`);

const COMPLETION = {
  model: 'gpt-4o',
  messages: [{ role: 'user', content: 'Hello, how are you?' }],
};
const CHAT = { message: 'Hello, how are you?', model: 'gpt-4o' };
const SERVER_ENV = { WEBHOOK_CONCURRENCY: '50', SKILL_CONCURRENCY: '8' };
/** A new-session chat turn on `path`, plain or streamed. */
const chatLoad = (path) => (s) => ({
  url: `${s.origin}${path}`,
  method: 'POST',
  headers: { authorization: `Bearer ${s.apiKey}` },
  body: CHAT,
});
const FLOOR_API_KEY = `oc_${randomBytes(24).toString('hex')}`;

/** Each row: what it loads, and the set-up it needs first. */
const ROWS = {
  4: {
    what: 'POST /v1/chat/completions',
    load: (s) => ({
      url: `${s.origin}/v1/chat/completions`,
      method: 'POST',
      headers: { authorization: `Bearer ${s.apiKey}` },
      body: COMPLETION,
    }),
  },
  5: {
    what: 'POST /api/v1/chat, new session each (PostgreSQL)',
    load: chatLoad('/api/v1/chat'),
  },
  '5-long': {
    what: 'POST /api/v1/chat, one long session (PostgreSQL, 500 turns seeded)',
    async setup(s) {
      const session = await s.api('POST', '/api/v1/sessions', { name: 'long' }, s.apiKey);
      await cannon({
        url: `${s.origin}/api/v1/chat`,
        method: 'POST',
        headers: { authorization: `Bearer ${s.apiKey}` },
        body: { ...CHAT, session_id: session.id },
        connections: 10,
        amount: 500,
      });
      return session;
    },
    load: (s, session) => ({
      url: `${s.origin}/api/v1/chat`,
      method: 'POST',
      headers: { authorization: `Bearer ${s.apiKey}` },
      body: { ...CHAT, session_id: session.id },
    }),
  },
  '3+': {
    what: 'the floor app: POST /v1/chat/completions (lib/nest-floor.mjs)',
    floor: true,
    load: (s) => ({
      url: `${s.origin}/v1/chat/completions`,
      method: 'POST',
      headers: { authorization: `Bearer ${s.apiKey}` },
      body: COMPLETION,
    }),
  },
  '5+': {
    what: 'the floor app: POST /api/v1/chat, new session each (lib/nest-floor.mjs)',
    floor: true,
    load: chatLoad('/api/v1/chat'),
  },
  6: {
    what: 'POST /api/v1/chat/stream, new session each (PostgreSQL), whole streams',
    load: chatLoad('/api/v1/chat/stream'),
  },
  '6+': {
    what: 'the floor app: POST /api/v1/chat/stream, new session each (lib/nest-floor.mjs)',
    floor: true,
    load: chatLoad('/api/v1/chat/stream'),
  },
  7: {
    what: 'GET /api/v1/sessions/:id/messages?limit=50, 10,000 messages, 10 connections',
    connections: 10,
    async setup(s, db) {
      const session = await s.api('POST', '/api/v1/sessions', { name: 'page' }, s.apiKey);
      await seedMessages(db, session.id, 10_000);
      return session;
    },
    load: (s, session) => ({
      url: `${s.origin}/api/v1/sessions/${session.id}/messages?limit=50`,
      headers: { authorization: `Bearer ${s.apiKey}` },
    }),
  },
};

/** The package (or server folder, or Node module) a profile frame's script belongs to. */
function owner(callFrame) {
  const { url, functionName } = callFrame;
  if (!url) return functionName.startsWith('(') ? functionName : '(V8 builtins, native)';
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const parts = url.slice(nm + 14).split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  if (url.includes('/bench/lib/')) return 'floor app (bench/lib)';
  const src = url.indexOf('/dist/src/');
  if (src >= 0) {
    const parts = url.slice(src + 10).split('/');
    return `server: src/${parts.length > 2 ? `${parts[0]}/${parts[1]}` : parts[0]}`;
  }
  if (url.startsWith('node:')) {
    const m = url.slice(5).replace(/^internal\//, '');
    const head = m.split('/')[0];
    if (/^_?http|^http/.test(head)) return 'node: http';
    if (/stream/.test(head)) return 'node: streams';
    if (/^net$|^stream_base|^tcp/.test(head)) return 'node: net';
    if (/crypto/.test(head)) return 'node: crypto';
    if (/timers|process|async_hooks|event|task_queues/.test(head))
      return 'node: event loop, timers';
    return `node: ${head}`;
  }
  return url;
}

function frame({ functionName, url, lineNumber }) {
  const at = url.replace(/^.*\/(node_modules|dist)\//, '').replace(/^file:\/\//, '');
  return `${functionName || '(anonymous)'}${url ? ` ${at}:${lineNumber + 1}` : ''}`;
}

/** Main-thread time by owner over the samples taken between `from` and `to` (µs, monotonic). */
function summarize(dir, from, to) {
  const byOwner = new Map();
  const byFrame = new Map();
  let total = 0;
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))) {
    const profile = JSON.parse(readFileSync(join(dir, file), 'utf8'));
    const ownerOf = new Map(profile.nodes.map((n) => [n.id, owner(n.callFrame)]));
    const frameOf = new Map(profile.nodes.map((n) => [n.id, frame(n.callFrame)]));
    let t = profile.startTime;
    for (let i = 0; i < profile.samples.length; i++) {
      t += profile.timeDeltas[i] ?? 0;
      if (t < from || t > to) continue;
      const dt = profile.timeDeltas[i + 1] ?? 0;
      const key = ownerOf.get(profile.samples[i]);
      byOwner.set(key, (byOwner.get(key) ?? 0) + dt);
      const f = frameOf.get(profile.samples[i]);
      byFrame.set(f, (byFrame.get(f) ?? 0) + dt);
      total += dt;
    }
  }
  return { byOwner, byFrame, total };
}

/** The floor app, shaped as the server's handle for the rows' `load`. */
async function startFloor(execArgv, pgDb, upstream) {
  const child = await startHelper(
    './nest-floor.mjs',
    {
      BENCH_UPSTREAM: `http://127.0.0.1:${upstream.port}`,
      BENCH_PG_URL: pgDb.url,
      BENCH_API_KEY: FLOOR_API_KEY,
    },
    execArgv,
  );
  return { child, origin: `http://127.0.0.1:${child.port}`, apiKey: FLOOR_API_KEY };
}

async function profileRow(name, built, upstream) {
  const row = ROWS[name];
  if (!row) throw new Error(`no row ${name}: one of ${Object.keys(ROWS).join(', ')}`);
  const pgDb = await createPgDatabase();
  const dir = mkdtempSync(join(args.keep ?? os.tmpdir(), 'openclaw-profile-'));
  if (args.keep) log(`row ${name}: profile kept in ${dir}`);
  else onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  const execArgv = ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--cpu-prof-interval=250'];
  const server = row.floor
    ? await startFloor(execArgv, pgDb, upstream)
    : await startServer({
        built,
        execArgv,
        databaseUrl: pgDb.url,
        upstreamPort: upstream.port,
        env: SERVER_ENV,
      });
  const db = new pg.Client({ connectionString: pgDb.url });
  await db.connect();
  let result;
  let from;
  let to;
  let cpu;
  try {
    const state = row.setup ? await row.setup(server, db) : undefined;
    const opts = { ...row.load(server, state), connections: row.connections ?? connections };
    await cannon({ ...opts, seconds: 2 });
    await quiet(server.child.pid);
    const cpu0 = cpuSeconds(server.child.pid);
    from = Number(process.hrtime.bigint() / 1000n);
    result = await cannon({ ...opts, seconds });
    to = Number(process.hrtime.bigint() / 1000n);
    cpu = cpuSeconds(server.child.pid) - cpu0;
  } finally {
    await db.end();
    await stop(server.child);
    await flushRedisKeys();
  }
  const { byOwner, byFrame, total } = summarize(dir, from, to);
  const idle = byOwner.get('(idle)') ?? 0;
  const busy = total - idle;
  const perReq = (us) => us / 1000 / result.ok;
  const lines = [
    `### Row ${name}: ${row.what}`,
    '',
    `${result.ok} answers (${result.non2xx + result.errors} not 2xx or failed) in ${result.seconds.toFixed(1)} s at ` +
      `${row.connections ?? connections} connections: ${Math.round(result.rps)} req/s; process CPU ` +
      `${((cpu * 1000) / result.ok).toFixed(3)} ms/req (all threads), main thread busy ` +
      `${perReq(busy).toFixed(3)} ms/req (profiler on, 250 µs sampling).`,
    '',
    '| owner | share of the busy main thread | ms/req |',
    '| --- | ---: | ---: |',
  ];
  const sorted = [...byOwner.entries()].filter(([k]) => k !== '(idle)').sort((a, b) => b[1] - a[1]);
  const top = Number(args.top);
  let rest = 0;
  for (const [i, [key, us]] of sorted.entries()) {
    if (i >= top) rest += us;
    else lines.push(`| ${key} | ${((us / busy) * 100).toFixed(1)} % | ${perReq(us).toFixed(3)} |`);
  }
  if (rest)
    lines.push(`| the rest | ${((rest / busy) * 100).toFixed(1)} % | ${perReq(rest).toFixed(3)} |`);
  lines.push('', '| frame with the most self time | share | ms/req |', '| --- | ---: | ---: |');
  const frames = [...byFrame.entries()].filter(([k]) => k !== '(idle)').sort((a, b) => b[1] - a[1]);
  for (const [key, us] of frames.slice(0, top))
    lines.push(`| \`${key}\` | ${((us / busy) * 100).toFixed(1)} % | ${perReq(us).toFixed(3)} |`);
  return lines.join('\n');
}

const seconds = Number(args.seconds);
const connections = Number(args.connections);
try {
  const built = buildServer({ skip: !args.build, log });
  const upstream = await startHelper('./upstream.mjs', {
    BENCH_UPSTREAM_DELAY_MS: '0',
    BENCH_STREAM_CHUNKS: '8',
    BENCH_CHUNK_DELAY_MS: '0',
  });
  const out = [];
  for (const name of args.rows.split(',')) {
    log(`row ${name}`);
    out.push(await profileRow(name, built, upstream));
  }
  process.stdout.write(`${out.join('\n\n')}\n`);
} finally {
  await cleanupAll();
}
