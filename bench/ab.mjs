// Two builds of the server side by side: each git ref exported and built, both servers started at
// once, and the load alternating between them in short slices (the order reversed every round), so
// both see the same machine. Prints CPU per request and req/s per row and build. See bench/README.md.
//   node bench/ab.mjs --refs <before>,<after> [--rows 4,5,5-long,7] [--rounds 6] [--seconds 2]
//     (a ref may carry Node flags or environment variables for its server after a '+':
//     HEAD,HEAD+--max-semi-space-size=32 or HEAD,HEAD+MALLOC_ARENA_MAX=2)
//     [--connections N] (default: each row's own, 50 or 10; 1 shows the latency a request adds)
//     [--database sqlite] (each server on its own SQLite file instead of PostgreSQL; not row 7)
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';

import pg from 'pg';

import { cannon } from './lib/load.mjs';
import { cleanupAll, cpuSeconds, onCleanup, rssMiB, startHelper, stop } from './lib/proc.mjs';
import {
  createPgDatabase,
  flushRedisKeys,
  REDIS_URL,
  ROOT,
  seedMessages,
  startServer,
} from './lib/server.mjs';

const { values: args } = parseArgs({
  options: {
    refs: { type: 'string' },
    rows: { type: 'string', default: '4,5,5-long,7' },
    rounds: { type: 'string', default: '6' },
    seconds: { type: 'string', default: '2' },
    connections: { type: 'string' },
    database: { type: 'string', default: 'postgres' },
  },
});
const log = (msg) => process.stderr.write(`[ab] ${msg}\n`);
const refs = (args.refs ?? '').split(',').filter(Boolean);
const flagsOf = (ref) =>
  ref
    .split('+')
    .slice(1)
    .filter((item) => item.startsWith('-'));
const envOf = (ref) =>
  Object.fromEntries(
    ref
      .split('+')
      .slice(1)
      .filter((item) => !item.startsWith('-'))
      .map((item) => [item.slice(0, item.indexOf('=')), item.slice(item.indexOf('=') + 1)]),
  );
if (refs.length !== 2) throw new Error('--refs needs two git refs: before,after');
const onSqlite = args.database === 'sqlite';
if (!onSqlite && args.database !== 'postgres') throw new Error('--database is postgres or sqlite');
if (onSqlite && args.rows.split(',').includes('7'))
  throw new Error(
    'row 7 seeds its messages through PostgreSQL: leave it out with --database sqlite',
  );

const COMPLETION = {
  model: 'gpt-4o',
  messages: [{ role: 'user', content: 'Hello, how are you?' }],
};
const CHAT = { message: 'Hello, how are you?', model: 'gpt-4o' };
const auth = (s) => ({ authorization: `Bearer ${s.apiKey}` });
const ROWS = {
  4: {
    load: (s) => ({ url: `${s.origin}/v1/chat/completions`, method: 'POST', body: COMPLETION }),
  },
  5: { load: (s) => ({ url: `${s.origin}/api/v1/chat`, method: 'POST', body: CHAT }) },
  '5-long': {
    async setup(s) {
      const session = await s.api('POST', '/api/v1/sessions', { name: 'long' }, s.apiKey);
      const body = { ...CHAT, session_id: session.id };
      const url = `${s.origin}/api/v1/chat`;
      await cannon({ url, method: 'POST', headers: auth(s), body, connections: 10, amount: 500 });
      return session;
    },
    load: (s, session) => ({
      url: `${s.origin}/api/v1/chat`,
      method: 'POST',
      body: { ...CHAT, session_id: session.id },
    }),
  },
  6: { load: (s) => ({ url: `${s.origin}/api/v1/chat/stream`, method: 'POST', body: CHAT }) },
  7: {
    connections: 10,
    async setup(s, db) {
      const session = await s.api('POST', '/api/v1/sessions', { name: 'page' }, s.apiKey);
      await seedMessages(db, session.id, 10_000);
      return session;
    },
    load: (s, session) => ({ url: `${s.origin}/api/v1/sessions/${session.id}/messages?limit=50` }),
  },
};

/** The tree at `ref`, exported and built with the repository's node_modules. */
function buildRef(refWithFlags) {
  const ref = refWithFlags.split('+')[0];
  const dir = mkdtempSync(join(os.tmpdir(), 'openclaw-ab-'));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  const sha = execFileSync('git', ['rev-parse', '--short', ref], { cwd: ROOT }).toString().trim();
  const tar = execFileSync('git', ['archive', sha], { cwd: ROOT, maxBuffer: 1 << 30 });
  writeFileSync(join(dir, 'tree.tar'), tar);
  execFileSync('tar', ['-xf', 'tree.tar'], { cwd: dir });
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  log(`nest build of ${ref} (${sha}) in ${dir}`);
  const res = spawnSync(join(ROOT, 'node_modules/.bin/nest'), ['build'], {
    cwd: dir,
    stdio: 'inherit',
  });
  if (res.status !== 0) throw new Error(`nest build of ${ref} failed`);
  return {
    ref: refWithFlags,
    sha,
    built: { main: join(dir, 'dist/src/main.js'), nodePath: join(ROOT, 'node_modules') },
  };
}

try {
  const builds = refs.map(buildRef);
  const upstream = await startHelper('./upstream.mjs', {
    BENCH_UPSTREAM_DELAY_MS: '0',
    BENCH_STREAM_CHUNKS: '8',
    BENCH_CHUNK_DELAY_MS: '0',
  });
  // Each build its own Redis database (its queues and caches apart) and PostgreSQL database.
  const redisUrls = [REDIS_URL, REDIS_URL.replace(/\/\d+$/, '') + '/15'];
  const sides = [];
  for (const [i, b] of builds.entries()) {
    await flushRedisKeys(redisUrls[i]);
    onCleanup(() => flushRedisKeys(redisUrls[i]));
    const pgDb = onSqlite ? null : await createPgDatabase();
    const server = await startServer({
      built: b.built,
      databaseUrl: pgDb?.url ?? `sqlite:${join(dirname(b.built.main), `../../ab-${i}.db`)}`,
      upstreamPort: upstream.port,
      env: {
        WEBHOOK_CONCURRENCY: '50',
        SKILL_CONCURRENCY: '8',
        REDIS_URL: redisUrls[i],
        ...envOf(refs[i]),
      },
      execArgv: flagsOf(refs[i]),
    });
    const db = pgDb && new pg.Client({ connectionString: pgDb.url });
    if (db) {
      await db.connect();
      onCleanup(() => db.end());
    }
    onCleanup(() => stop(server.child));
    sides.push({ ...b, server, db, state: {} });
  }
  const rows = args.rows.split(',');
  for (const row of rows)
    for (const side of sides) {
      side.state[row] = ROWS[row].setup ? await ROWS[row].setup(side.server, side.db) : undefined;
      side[row] = { cpu: 0, ok: 0, seconds: 0, bad: 0 };
    }
  const slice = async (row, side, seconds) => {
    const s = side.server;
    const opts = { ...ROWS[row].load(s, side.state[row]), headers: auth(s) };
    const pid = s.child.pid;
    const cpu0 = cpuSeconds(pid);
    const r = await cannon({
      ...opts,
      connections: Number(args.connections ?? ROWS[row].connections ?? 50),
      seconds,
    });
    return { cpu: cpuSeconds(pid) - cpu0, r };
  };
  for (const row of rows) for (const side of sides) await slice(row, side, 2);
  const rounds = Number(args.rounds);
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 ? [...sides].reverse() : sides;
    for (const row of rows)
      for (const side of order) {
        const { cpu, r } = await slice(row, side, Number(args.seconds));
        const acc = side[row];
        acc.cpu += cpu;
        acc.ok += r.ok;
        acc.seconds += r.seconds;
        acc.bad += r.non2xx + r.errors;
      }
    log(`round ${round + 1} of ${rounds}`);
  }
  const lines = [
    `| row | ${sides.map((s) => `${s.ref} (${s.sha}) CPU ms/req | req/s`).join(' | ')} | change in CPU/req |`,
    `| --- | ${sides.map(() => '---: | ---:').join(' | ')} | ---: |`,
  ];
  for (const row of rows) {
    const per = sides.map((s) => (s[row].cpu * 1000) / s[row].ok);
    const cells = sides.map(
      (s, i) => `${per[i].toFixed(3)} | ${Math.round(s[row].ok / s[row].seconds)}`,
    );
    const bad = sides.reduce((n, s) => n + s[row].bad, 0);
    lines.push(
      `| ${row}${bad ? ` (${bad} not 2xx)` : ''} | ${cells.join(' | ')} | ${(((per[1] - per[0]) / per[0]) * 100).toFixed(0)} % |`,
    );
  }
  const peaks = sides.map((s) => `${s.ref} ${Math.round(rssMiB(s.server.child.pid, 'VmHWM'))} MiB`);
  lines.push('', `Peak RSS of each server over the whole run: ${peaks.join(', ')}.`);
  process.stdout.write(`${lines.join('\n')}\n`);
} finally {
  await cleanupAll();
}
