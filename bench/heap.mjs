// Where a route's heap goes: the built server under `--trace-gc`, one route's load for a while, and
// per answer the bytes allocated and the bytes promoted (what outlived two scavenges and reached
// the old generation, where only a full collection frees it; its growth sets the peak RSS). See
// bench/README.md.
//   node bench/heap.mjs [--routes 4,5,GET:/v1/models] [--seconds 10] [--connections 50]
//     [--node-flags "--max-old-space-size=1024"] (uses dist/ as built)
import { parseArgs } from 'node:util';

import { cannon } from './lib/load.mjs';
import { cleanupAll, onCleanup, rssMiB, startHelper, stop } from './lib/proc.mjs';
import { createPgDatabase, flushRedisKeys, ROOT, startServer } from './lib/server.mjs';

const { values: args } = parseArgs({
  options: {
    routes: { type: 'string', default: '4,5' },
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '50' },
    'node-flags': { type: 'string', default: '' },
  },
});
const ROUTES = {
  4: {
    method: 'POST',
    path: '/v1/chat/completions',
    body: { model: 'gpt-4o', messages: [{ role: 'user', content: 'Hello, how are you?' }] },
  },
  5: {
    method: 'POST',
    path: '/api/v1/chat',
    body: { message: 'Hello, how are you?', model: 'gpt-4o' },
  },
};
const routeOf = (name) => {
  if (ROUTES[name]) return ROUTES[name];
  const [method, path] = name.split(':');
  return { method, path };
};

/** Scavenges and full collections in `--trace-gc` lines: [kind, MB before, MB after]. */
const GC_LINE = /(Scavenge|Mark-Compact) ([\d.]+) \([\d.]+\) -> ([\d.]+)/;

try {
  const upstream = await startHelper('./upstream.mjs', { BENCH_UPSTREAM_DELAY_MS: '0' });
  await flushRedisKeys();
  const pgDb = await createPgDatabase();
  const flags = args['node-flags'].split(' ').filter(Boolean);
  const server = await startServer({
    built: { main: `${ROOT}dist/src/main.js` },
    databaseUrl: pgDb.url,
    upstreamPort: upstream.port,
    execArgv: ['--trace-gc', ...flags],
  });
  onCleanup(() => stop(server.child));
  let lines = [];
  let partial = '';
  server.child.stdout.on('data', (chunk) => {
    const text = partial + chunk.toString();
    const cut = text.lastIndexOf('\n');
    partial = text.slice(cut + 1);
    lines.push(...text.slice(0, cut).split('\n'));
  });
  process.stdout.write(
    `| route | answers/s | allocated KiB/answer | promoted KiB/answer | full GCs | RSS after, MiB |\n`,
  );
  process.stdout.write('| --- | ---: | ---: | ---: | ---: | ---: |\n');
  for (const name of args.routes.split(',')) {
    const { method, path, body } = routeOf(name);
    lines = [];
    const run = await cannon({
      url: server.origin + path,
      method,
      headers: { authorization: `Bearer ${server.apiKey}` },
      body,
      connections: Number(args.connections),
      seconds: Number(args.seconds),
    });
    let allocated = 0;
    let promoted = 0;
    let fulls = 0;
    let after;
    for (const line of lines) {
      const m = GC_LINE.exec(line);
      if (!m) continue;
      const [kind, before, now] = [m[1], Number(m[2]), Number(m[3])];
      if (kind === 'Mark-Compact') {
        fulls++;
        after = undefined;
        continue;
      }
      // Between two scavenges with no full collection in between: what was allocated, and
      // what the old generation (with the survivors) grew by.
      if (after !== undefined) {
        allocated += before - after;
        promoted += now - after;
      }
      after = now;
    }
    const perAnswer = (mb) => ((mb * 1024) / run.ok).toFixed(1);
    process.stdout.write(
      `| ${name} | ${run.rps.toFixed(0)} | ${perAnswer(allocated)} | ${perAnswer(promoted)} | ${fulls} | ${rssMiB(server.child.pid).toFixed(0)} |\n`,
    );
  }
} finally {
  await cleanupAll();
}
