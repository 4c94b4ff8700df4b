// Row 9 alone, repeated: `rounds` × `runs` skill runs of `true` (wait=false, 10 connections) on
// PostgreSQL, each round's runs/s, p50 created→finished and server CPU per run, with where a run's
// time went (queued: created→started, running: started→finished, of which the script's duration_ms).
//   node bench/skill-runs.mjs [--rounds 5] [--runs 100] [--sandbox auto|none] [--no-build]
// --floor: no server, no database, no queue: the built runner's runScript alone, `concurrency` at a
// time, in this process — the most runs/s the sandbox leaves on this machine.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { clearInterval, setInterval, setTimeout } from 'node:timers';
import { parseArgs } from 'node:util';

import pg from 'pg';

import { cannon } from './lib/load.mjs';
import { cleanupAll, measure, stop } from './lib/proc.mjs';
import { buildServer, createPgDatabase, flushRedisKeys, startServer } from './lib/server.mjs';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    runs: { type: 'string', default: '100' },
    sandbox: { type: 'string', default: 'auto' },
    concurrency: { type: 'string', default: '8' },
    build: { type: 'boolean', default: true },
    profile: { type: 'string' },
    floor: { type: 'boolean', default: false },
    // A built server elsewhere (dist/src/main.js of another commit), for A/B runs.
    main: { type: 'string' },
  },
  allowNegative: true,
});
const log = (msg) => process.stderr.write(`[skill-runs] ${msg}\n`);
/** The process's own CPU seconds and its reaped children's (stat(5) fields 14-17). */
function ownCpu(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return {
    own: (Number(f[11]) + Number(f[12])) / 100,
    reaped: (Number(f[13]) + Number(f[14])) / 100,
  };
}
/** Busy and total jiffies of the whole machine (/proc/stat). */
function machine() {
  const f = readFileSync('/proc/stat', 'utf8')
    .split('\n')[0]
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  const total = f.reduce((a, b) => a + b, 0);
  return { busy: total - f[3] - f[4], total };
}
function launcherPid(pid) {
  const kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' ').filter(Boolean);
  return kids[0];
}
const ms = (s) => (s === null ? null : Number(s) * 1000);

async function floor(built) {
  const runner = await import(join(dirname(built.main), 'skills/runner/script-runner.js'));
  const probe = args.sandbox === 'none' ? {} : runner.probeBwrap();
  if (args.sandbox !== 'none' && !probe.path) throw new Error(`bwrap cannot run: ${probe.problem}`);
  const sandbox = probe.path ? 'bwrap' : 'none';
  for (let round = 0; round < Number(args.rounds); round++) {
    const total = Number(args.runs);
    let next = 0;
    const lane = async () => {
      while (next < total) {
        next++;
        const result = await runner.runScript({
          runId: randomUUID(),
          script: 'true',
          params: {},
          timeoutMs: 10_000,
          maxOutputBytes: 65_536,
          maxMemoryMb: 512,
          sandbox,
          bwrapPath: probe.path,
        });
        if (result.status !== 'succeeded') throw new Error(`a run ended ${result.status}`);
      }
    };
    const m0 = machine();
    const cpu0 = process.cpuUsage();
    const started = performance.now();
    await Promise.all(Array.from({ length: Number(args.concurrency) }, lane));
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const m1 = machine();
    log(
      `floor round ${round} (${sandbox}): ${(total / seconds).toFixed(0)} runs/s, ` +
        `runner ${((cpu.user + cpu.system) / 1000 / total).toFixed(2)} ms/run, ` +
        `machine ${(((m1.busy - m0.busy) * 10) / total).toFixed(2)} ms/run ` +
        `(${((100 * (m1.busy - m0.busy)) / (m1.total - m0.total)).toFixed(0)}% busy)`,
    );
  }
}

async function main() {
  const built = args.main ? { main: resolve(args.main) } : buildServer({ skip: !args.build, log });
  if (args.floor) return floor(built);
  await flushRedisKeys();
  const pgDb = await createPgDatabase();
  const db = new pg.Client({ connectionString: pgDb.url });
  const server = await startServer({
    built,
    databaseUrl: pgDb.url,
    upstreamPort: 9,
    execArgv: args.profile ? ['--cpu-prof', `--cpu-prof-dir=${args.profile}`] : [],
    env: { SKILL_CONCURRENCY: args.concurrency, SKILL_SANDBOX: args.sandbox },
  });
  await db.connect();
  const results = [];
  try {
    for (let round = 0; round < Number(args.rounds); round++) {
      const name = `bench-true-${round}`;
      await server.api(
        'POST',
        '/api/v1/skills',
        { name, description: 'benchmark', script: 'true', timeout_ms: 10_000 },
        server.adminToken,
      );
      const lp = launcherPid(server.child.pid);
      const before = { server: ownCpu(server.child.pid), launcher: lp && ownCpu(lp), m: machine() };
      // The machine's load while the runs go, sampled every 20 ms (the span is cut from it below).
      const samples = [{ at: Date.now(), ...machine() }];
      const sampler = setInterval(() => samples.push({ at: Date.now(), ...machine() }), 20);
      const { result: load, cpuSeconds } = await measure(server.child.pid, async () => {
        const load = await cannon({
          url: `${server.origin}/api/v1/skills/${name}/run?wait=false`,
          method: 'POST',
          headers: { authorization: `Bearer ${server.apiKey}` },
          body: {},
          connections: 10,
          amount: Number(args.runs),
        });
        for (let i = 0; i < 300; i++) {
          const { rows } = await db.query(
            `SELECT count(*)::int AS n FROM skill_runs r JOIN skills s ON s.id = r.skill_id
              WHERE s.name = $1 AND r.finished_at IS NOT NULL`,
            [name],
          );
          if (rows[0].n >= load.ok) break;
          await new Promise((r) => setTimeout(r, 50));
        }
        return load;
      });
      const q = (
        await db.query(
          `SELECT count(*)::int AS n,
                  extract(epoch FROM min(r.created_at)) * 1000 AS t0,
                  extract(epoch FROM max(r.finished_at)) * 1000 AS t1,
                  extract(epoch FROM max(r.created_at) - min(r.created_at)) AS enqueue_span,
                  count(*) FILTER (WHERE r.status <> 'succeeded')::int AS wrong,
                  extract(epoch FROM max(r.finished_at) - min(r.created_at)) AS span,
                  percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM r.finished_at - r.created_at)) AS p50,
                  percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM r.started_at - r.created_at)) AS queued,
                  percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM r.finished_at - r.started_at)) AS running,
                  percentile_cont(0.5) WITHIN GROUP (ORDER BY r.duration_ms) AS script
             FROM skill_runs r JOIN skills s ON s.id = r.skill_id WHERE s.name = $1`,
          [name],
        )
      ).rows[0];
      clearInterval(sampler);
      const after = { server: ownCpu(server.child.pid), launcher: lp && ownCpu(lp), m: machine() };
      const inSpan = samples.filter((x) => x.at >= Number(q.t0) && x.at <= Number(q.t1));
      const [first, last] = [inSpan[0], inSpan[inSpan.length - 1]];
      const busy =
        first && last !== first ? (last.busy - first.busy) / (last.total - first.total) : NaN;
      const per = (a, b) => (((a - b) * 1000) / Number(args.runs)).toFixed(2);
      const split = lp
        ? `server ${per(after.server.own, before.server.own)}, launcher ${per(after.launcher.own, before.launcher.own)}, scripts ${per(after.launcher.reaped, before.launcher.reaped)}`
        : `server ${per(after.server.own, before.server.own)}`;
      const row = {
        runsPerSec: q.n / Number(q.span),
        enqueuePerSec: q.n / Number(q.enqueue_span),
        p50Ms: ms(q.p50),
        queuedP50Ms: ms(q.queued),
        runningP50Ms: ms(q.running),
        scriptP50Ms: Number(q.script),
        cpuMsPerRun: (cpuSeconds * 1000) / q.n,
        errors: load.non2xx + load.errors + q.wrong + (load.ok - q.n),
      };
      results.push(row);
      log(
        `round ${round}: ${row.runsPerSec.toFixed(0)} runs/s (enqueue ${row.enqueuePerSec.toFixed(0)}/s) ` +
          `p50 ${row.p50Ms.toFixed(0)} ms [queued ${row.queuedP50Ms.toFixed(0)}, running ${row.runningP50Ms.toFixed(1)}, ` +
          `script ${row.scriptP50Ms.toFixed(1)}] cpu ${row.cpuMsPerRun.toFixed(2)} ms/run (${split}) machine ${(busy * 100).toFixed(0)}% busy, errors ${row.errors}`,
      );
    }
  } finally {
    await db.end();
    await stop(server.child);
  }
  const sorted = results.map((r) => r.runsPerSec).sort((a, b) => a - b);
  log(
    `median ${sorted[Math.floor(sorted.length / 2)].toFixed(0)} runs/s over ${results.length} rounds`,
  );
}

main()
  .then(() => cleanupAll())
  .then(() => process.exit(0))
  .catch(async (err) => {
    process.stderr.write(`\nfailed: ${err.stack ?? err.message}\n`);
    await cleanupAll();
    process.exit(1);
  });
