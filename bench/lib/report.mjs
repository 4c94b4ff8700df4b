// Targets, and the results file: bench/results/<date>.md plus the same data as JSON.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import * as prettier from 'prettier';

const ROW_NAMES = {
  1: 'upstream called directly (the limit)',
  2: 'bare proxy: node:http + undici',
  3: 'minimal NestJS-on-Express forward',
  '3+': 'NestJS forward doing only what /v1 requires (the floor of row 4)',
  '5+': 'NestJS chat turn doing only what /api/v1/chat requires (the floor of row 5)',
  '6+': 'NestJS stream turn doing only what /api/v1/chat/stream requires (the floor of row 6)',
  portkey: 'Portkey gateway (npm) → upstream',
  4: 'POST /v1/chat/completions',
  5: 'POST /api/v1/chat',
  6: 'POST /api/v1/chat/stream',
  7: 'GET /api/v1/sessions/:id/messages?limit=50',
  8: 'webhook deliveries, end to end from chat turns',
  9: 'skill runs',
};

const f = (n, d = 2) =>
  n === null || n === undefined || Number.isNaN(n) ? '–' : Number(n).toFixed(d);
const errorsOf = (p) => (p.non2xx ?? 0) + (p.errors ?? 0);

function find(rows, row, variant, connections) {
  return rows.find(
    (p) =>
      p.row === row &&
      (variant === undefined || p.variant.startsWith(variant)) &&
      (connections === undefined || p.connections === connections),
  );
}

/** What a point says about its bound: how busy the process under test was and its CPU cost. */
function bound(p, cores) {
  if (!p) return '';
  const util = p.cpuUtil ?? 0;
  const cost = p.cpuMsPerOp ? `${f(p.cpuMsPerOp, 3)} ms of CPU per operation` : 'its CPU cost';
  const ceiling = p.cpuMsPerOp ? ` (≈ ${f(1000 / p.cpuMsPerOp, 0)}/s on one fully busy core)` : '';
  if (util >= 0.85)
    return `the process under test was CPU-bound (${f(util * 100, 0)}% of a core; Node runs requests on one thread): ${cost}${ceiling}.`;
  return `the process under test used ${f(util * 100, 0)}% of a core (${cost}${ceiling}); the rest of the ${cores} cores went to the load generator, upstream, PostgreSQL and Redis on the same machine.`;
}

/** The targets of the performance issue: ratios to the peer and CPU per request, within one run. */
export function computeTargets(report) {
  const rows = report.rows;
  const cores = report.machine.cpus;
  const out = [];
  const add = (name, pass, measured, why = '', skip = false) =>
    out.push({
      name,
      status: skip ? 'SKIP' : pass ? 'PASS' : 'MISS',
      measured,
      why: pass ? '' : why,
    });
  const have = (...ps) => ps.every(Boolean);
  const cpu = (name, p, max, why) => {
    if (p)
      add(
        `${name} ≤ ${max} ms CPU/request`,
        p.cpuMsPerOp <= max,
        `${f(p.cpuMsPerOp, 3)} ms`,
        why ?? bound(p, cores),
      );
  };

  // The same reading at 1 connection: what the contract alone adds to a request's latency.
  const floorLatency = (row, added) => {
    const floor1 = find(rows, row, undefined, 1);
    return floor1
      ? ` Row ${row}, doing only what the contract requires, adds +${f(added(floor1))} ms itself.`
      : '';
  };
  const r1c1 = find(rows, 1, undefined, 1);
  const r3c1 = find(rows, 3, undefined, 1);
  const r4c1 = find(rows, 4, undefined, 1);
  // What a request at 1 connection waits for before the server does anything of its own.
  const waits = (what) => {
    const rt = report.machine.roundTrips;
    if (!rt || !r3c1 || !r1c1) return '';
    const nest = r3c1.p50 - r1c1.p50;
    const sum = nest + rt.redisMs + rt.pgCommitMs;
    return (
      ` Its path waits on ${what}: alone, at 1 connection, a Redis script call takes ${f(rt.redisMs, 3)} ms and a` +
      ` committed PostgreSQL INSERT ${f(rt.pgCommitMs, 3)} ms (p50), and row 3 (NestJS forwarding, nothing else)` +
      ` adds +${f(nest)} ms: ${f(sum)} ms together, before the auth, validation, logging and metrics the contract asks for.`
    );
  };
  const r4c50 = find(rows, 4, undefined, 50);
  const r5c50 = find(rows, 5, 'new session each (PostgreSQL)', 50);
  const r5long = find(rows, 5, 'one long session (PostgreSQL)', 50);
  const pk50 = find(rows, 'portkey', undefined, 50);
  // What the contract itself costs here, so a MISS says how far off the stack's own floor is.
  const floorReading = (row, what) => {
    const floor50 = find(rows, row, undefined, 50);
    return floor50 && pk50
      ? ` A NestJS app doing only what the contract requires (row ${row}: ${what}) reaches ${f(floor50.rps / pk50.rps)} × Portkey here (${f(floor50.rps, 0)} req/s, ${f(floor50.cpuMsPerOp, 3)} ms CPU/request).`
      : '';
  };

  for (const [label, p, times, floorRow, floorWhat] of [
    ['Row 4', r4c50, 3, '3+', 'auth, Redis rate limit, validation, usage INSERT, log, metrics'],
    [
      'Row 5 (PostgreSQL, new session each)',
      r5c50,
      2,
      '5+',
      'the same, with the session, its two messages and the usage record in one statement',
    ],
  ]) {
    const name = `${label} ≥ ${times} × Portkey's gateway req/s at 50 connections`;
    if (!pk50)
      add(name, false, 'not measured', report.skipped.portkey ?? 'Portkey did not run', true);
    else if (p) {
      const ratio = p.rps / pk50.rps;
      add(
        name,
        ratio >= times,
        `${f(ratio)} × (${f(p.rps, 0)} vs ${f(pk50.rps, 0)} req/s)`,
        `Portkey costs ${f(pk50.cpuMsPerOp, 3)} ms CPU/request here against ${f(p.cpuMsPerOp, 3)} ms; ${bound(p, cores)}${floorReading(floorRow, floorWhat)}`,
      );
    }
  }
  cpu('Row 4 at 50 connections', r4c50, 0.6);
  if (have(r1c1, r4c1)) {
    const added = r4c1.p50 - r1c1.p50;
    add(
      'Row 4 adds ≤ 0.6 ms p50 over row 1 at 1 connection',
      added <= 0.6,
      `+${f(added)} ms (${f(r4c1.p50)} vs ${f(r1c1.p50)} ms)`,
      `one request's path through the server takes ${f(r4c1.cpuMsPerOp, 3)} ms of CPU, most of the added latency.` +
        floorLatency('3+', (p) => p.p50 - r1c1.p50) +
        waits(
          'the rate limit in Redis and the usage record committed in PostgreSQL before the answer',
        ),
    );
  }
  cpu('Row 5 (PostgreSQL, new session each) at 50 connections', r5c50, 0.8);
  cpu('Row 5 (PostgreSQL, one long session) at 50 connections', r5long, 1.2);
  const row5 = rows.filter((p) => p.row === 5);
  if (row5.length) {
    const errs = row5.reduce((n, p) => n + errorsOf(p), 0);
    add(
      'Row 5 zero errors (every variant and connection count)',
      errs === 0,
      `${errs} non-2xx/errors`,
      `status codes: ${JSON.stringify(row5.filter(errorsOf).map((p) => p.statusCodes))}`,
    );
  }
  const up6 = find(rows, 6, 'upstream stream', 1);
  const srv6 = find(rows, 6, 'POST /api/v1/chat/stream', 1);
  if (have(up6, srv6)) {
    const first = srv6.firstP50 - up6.firstP50;
    const total = srv6.p50 - up6.p50;
    add(
      "Row 6 first `data:` ≤ 0.8 ms after the upstream's at p50 (1 connection)",
      first <= 0.8,
      `+${f(first)} ms (${f(srv6.firstP50)} vs ${f(up6.firstP50)} ms)`,
      `before the first byte the server authenticates, rate-limits, checks quotas, resolves the session and config and opens the upstream stream: ${f(srv6.cpuMsPerOp, 3)} ms CPU per stream in all.` +
        floorLatency('6+', (p) => p.firstP50 - up6.firstP50),
    );
    add(
      "Row 6 `[DONE]` ≤ 1.5 ms after the upstream's at p50 (1 connection)",
      total <= 1.5,
      `+${f(total)} ms (${f(srv6.p50)} vs ${f(up6.p50)} ms)`,
      `after the last chunk the turn and its usage record are stored before \`[DONE]\`: ${bound(srv6, cores)}` +
        floorLatency('6+', (p) => p.p50 - up6.p50) +
        waits('the rate limit in Redis and the turn committed in PostgreSQL before `[DONE]`'),
    );
  }
  const r7big = find(rows, 7, '10000', 10);
  const r7small = find(rows, 7, '100 ', 10);
  if (r7big) {
    add(
      'Row 7 p99 < 10 ms at 10 connections (10,000 messages)',
      r7big.p99 < 10,
      `${f(r7big.p99)} ms`,
      bound(r7big, cores),
    );
    cpu('Row 7 (10,000 messages)', r7big, 0.5);
  }
  if (have(r7big, r7small)) {
    const ratio = r7big.p50 / r7small.p50;
    add(
      'Row 7 flat from 100 to 10,000 messages (p50 at 10 connections within 1.2×)',
      ratio <= 1.2,
      `${f(ratio)} × (${f(r7big.p50)} vs ${f(r7small.p50)} ms)`,
      'the page query or the count grows with the session: check the plan of the messages query and of its total.',
    );
  }
  const r8drain = find(rows, 8, 'backlog of 1 subscriber');
  if (r8drain) {
    add(
      'Row 8 backlog drained (the pipeline alone) ≥ 3,000 deliveries/s',
      r8drain.rps >= 3000,
      `${f(r8drain.rps, 0)} deliveries/s (${f(r8drain.cpuMsPerOp, 3)} ms of server CPU each)`,
      `each delivery is a BullMQ job, a signed POST and its attempt recorded; ${bound(r8drain, cores)}`,
    );
  }
  const r8many = find(rows, 8, '50 subscribers');
  if (r8many) {
    add(
      'Row 8 end to end with 50 subscribers ≥ 2,000 deliveries/s',
      r8many.rps >= 2000,
      `${f(r8many.rps, 0)} deliveries/s`,
      `from the first turn sent to the last delivery received: ${bound(r8many, cores)}`,
    );
  }
  const r9 = find(rows, 9, 'bench-true');
  if (r9) {
    add(
      'Row 9 ≥ 250 runs/s of `true`',
      r9.rps >= 250,
      `${f(r9.rps, 0)} runs/s`,
      `each run is a row, a BullMQ job, a temporary directory, the sandbox and a /bin/sh process and the result's update; ${bound(r9, cores)}`,
    );
  }
  const floorRss = () => {
    const floors = rows.filter((p) => ['3+', '5+', '6+'].includes(p.row) && p.peakRssMiB);
    return floors.length
      ? ` The floor app of rows 3+, 5+ and 6+, doing only what the contract requires, peaks at ${f(Math.max(...floors.map((p) => p.peakRssMiB)), 0)} MiB.`
      : '';
  };
  const served = rows.filter((p) => [4, 5, 6, 7].includes(p.row) && p.peakRssMiB);
  if (served.length) {
    const peak = Math.max(...served.map((p) => p.peakRssMiB));
    add(
      'Peak RSS of the server over rows 4–7 ≤ 200 MiB',
      peak <= 200,
      `${f(peak, 0)} MiB`,
      (report.machine.serverIdleRssMiB
        ? `a fresh server holds ${f(report.machine.serverIdleRssMiB, 0)} MiB before any request (Node's binary and the loaded code); `
        : '') +
        'under load V8 grows its heap for throughput (see the per-point RSS column): a smaller heap costs CPU (bench/results/analysis.md).' +
        floorRss(),
    );
  }
  if (report.coldStartMs !== undefined) {
    add(
      'Cold start: process start to /health/ready 200 ≤ 1.5 s (migrated database)',
      report.coldStartMs <= 1500,
      `${f(report.coldStartMs / 1000)} s`,
      'module loading, the database and Redis connections and the readiness checks.',
    );
  }
  const errs = rows.filter((p) => errorsOf(p) > 0);
  add(
    'Every row: zero non-2xx and zero errors',
    errs.length === 0,
    errs.length
      ? errs
          .map((p) => `row ${p.row} ${p.variant} c=${p.connections ?? '-'}: ${errorsOf(p)}`)
          .join('; ')
      : '0',
    'see the status codes in the JSON file.',
  );
  return out;
}

function table(header, lines) {
  return [
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...lines.map((l) => `| ${l.join(' | ')} |`),
  ].join('\n');
}

export function renderMarkdown(report, targets) {
  const rows = report.rows;
  const m = report.machine;
  const s = report.settings;
  const md = [];
  md.push(`# OpenClaw server benchmark — ${report.date.slice(0, 10)} (${report.mode})`, '');
  // Only the full mode runs Portkey unless asked: say so when a shorter run was asked.
  const portkeyFlag =
    report.mode !== 'full' && rows.some((p) => p.row === 'portkey') ? ' -- --portkey' : '';
  md.push(
    `Run ${report.date} with \`${report.mode === 'full' ? 'npm run bench' : `npm run bench:${report.mode}${portkeyFlag}`}\`: ` +
      `${s.seconds} s per point after ${s.warmup} s of warm-up. Machine: ${m.cpus} × ${m.cpuModel}, ${m.memoryGiB} GiB, ` +
      `Node ${m.node}, PostgreSQL ${m.postgres ?? '?'}, Redis ${m.redis ?? '?'}; load average ${m.loadavgStart} at the start, ` +
      `${m.loadavgEnd ?? '?'} at the end. The load generator (autocannon, in the harness process), the upstream, the process ` +
      'under test, PostgreSQL and Redis all share these cores, so absolute numbers are low-end; compare the ratios.',
    '',
    `Upstream: ${JSON.stringify(s.upstream)}. Server env beyond the harness defaults: ${JSON.stringify(s.serverEnv)}. ` +
      (s.serverNodeFlags?.length ? `Server Node flags: \`${s.serverNodeFlags.join(' ')}\`. ` : '') +
      `Peak RSS of the PostgreSQL server process over its whole run (VmHWM): ${f(m.serverPeakRssMiB, 1)} MiB.` +
      (report.coldStartMs !== undefined
        ? ` Cold start (a new process on the migrated PostgreSQL database, start to /health/ready 200): ${report.coldStartMs} ms.`
        : ''),
    '',
  );
  if (report.notes) md.push(`Note: ${report.notes}`, '');
  md.push('## Targets', '');
  md.push(
    table(
      ['target', 'result', 'measured'],
      targets.map((t) => [t.name, `**${t.status}**`, t.measured]),
    ),
    '',
  );
  const misses = targets.filter((t) => t.status !== 'PASS');
  if (misses.length) {
    md.push('### What bounds the misses', '');
    for (const t of misses) md.push(`- **${t.name}** (${t.status}): ${t.why}`);
    md.push('');
  }
  if (report.analysis)
    md.push('## What was done, and what bounds the rest', '', report.analysis.trim(), '');
  if (Object.keys(report.skipped).length) {
    md.push('### Skipped', '');
    for (const [k, v] of Object.entries(report.skipped)) md.push(`- ${k}: ${v}`);
    md.push('');
  }

  md.push('## Request/response rows', '');
  md.push(
    "req/s counts 2xx answers over the measured time; p50/p99 from every 2xx answer's own time; CPU is the process " +
      'under test (user + system, /proc/<pid>/stat) divided by 2xx answers; "core" is its CPU time over wall time; ' +
      'peak RSS is the highest VmRSS sampled every 50 ms during the point.',
    '',
  );
  const order = [1, 2, 3, '3+', '5+', 'portkey', 4, 5, 7];
  const rr = rows
    .filter((p) => order.includes(p.row))
    .sort((a, b) => order.indexOf(a.row) - order.indexOf(b.row));
  md.push(
    table(
      [
        'row',
        'what',
        'conns',
        'req/s',
        'p50 ms',
        'p99 ms',
        'CPU ms/req',
        'core',
        'peak RSS MiB',
        '2xx',
        'non-2xx',
        'errors',
      ],
      rr.map((p) => [
        p.row,
        p.row === 5 || p.row === 7 ? `${ROW_NAMES[p.row]} — ${p.variant}` : ROW_NAMES[p.row],
        p.connections,
        f(p.rps, 0),
        f(p.p50),
        f(p.p99),
        f(p.cpuMsPerOp, 3),
        `${f((p.cpuUtil ?? 0) * 100, 0)}%`,
        f(p.peakRssMiB, 0),
        p.ok,
        p.non2xx,
        p.errors,
      ]),
    ),
    '',
  );

  md.push('## Row 6: streams', '');
  md.push(
    'Each connection loops: POST, read the SSE answer to its end. "first" is the time to the first `data:` event, "done" ' +
      "to `data: [DONE]`, from the request's start. The upstream row is its own stream called directly (same chunks); CPU " +
      "is the upstream's there and the server's for the server row.",
    '',
  );
  md.push(
    table(
      [
        'what',
        'conns',
        'streams/s',
        'first p50 ms',
        'first p99 ms',
        'done p50 ms',
        'done p99 ms',
        'CPU ms/stream',
        'peak RSS MiB',
        'ok',
        'non-2xx',
        'errors',
      ],
      rows
        .filter((p) => p.row === 6 || p.row === '6+')
        .map((p) => [
          p.row === '6+' ? `6+: ${p.variant}` : p.variant,
          p.connections,
          f(p.rps, 0),
          f(p.firstP50),
          f(p.firstP99),
          f(p.p50),
          f(p.p99),
          f(p.cpuMsPerOp, 3),
          f(p.peakRssMiB, 0),
          p.ok,
          p.non2xx,
          p.errors,
        ]),
    ),
    '',
  );

  md.push('## Row 8: webhook deliveries', '');
  md.push(
    'Subscribers to `message.created` on a local receiver (204 at once, every signature checked); a fixed number of ' +
      'new-session chat turns (2 messages each) at 10 connections. deliveries/s = distinct deliveries received / time from ' +
      "the first turn sent to the last delivery received; lag = arrival − the event's `created_at`. CPU is the server's " +
      'over the whole window (turns included) per delivery. "backlog … drained": the same turns sent while the ' +
      "server's delivery queue is paused, then deliveries/s and CPU from its resumption to the last delivery: the " +
      'pipeline without the turns.',
    '',
  );
  md.push(
    table(
      [
        'subscribers',
        'turns',
        'turns/s',
        'deliveries / expected',
        'deliveries/s',
        'lag p50 ms',
        'lag p99 ms',
        'duplicates',
        'bad signatures',
        'CPU ms/delivery',
        'peak RSS MiB',
        'errors',
      ],
      rows
        .filter((p) => p.row === 8)
        .map((p) => [
          p.variant,
          p.turns,
          f(p.turnRps, 0),
          `${p.count} / ${p.expected}`,
          f(p.rps, 0),
          f(p.p50, 0),
          f(p.p99, 0),
          p.duplicates,
          p.badSignature,
          f(p.cpuMsPerOp, 3),
          f(p.peakRssMiB, 0),
          errorsOf(p),
        ]),
    ),
    '',
  );

  md.push('## Row 9: skill runs', '');
  md.push(
    'A fixed number of `POST /api/v1/skills/:name/run?wait=false` at 10 connections; runs/s = finished runs / (last ' +
      '`finished_at` − first `created_at`) from the database; latency is `created_at` → `finished_at` per run. CPU includes ' +
      "the scripts and the server's script launcher (its children, live or reaped).",
    '',
  );
  md.push(
    table(
      [
        'skill',
        'runs',
        'enqueue req/s',
        'runs/s',
        'p50 ms',
        'p99 ms',
        'CPU ms/run',
        'peak RSS MiB',
        'errors',
      ],
      rows
        .filter((p) => p.row === 9)
        .map((p) => [
          p.variant,
          p.count,
          f(p.enqueueRps, 0),
          f(p.rps, 0),
          f(p.p50, 0),
          f(p.p99, 0),
          f(p.cpuMsPerOp, 3),
          f(p.peakRssMiB, 0),
          errorsOf(p),
        ]),
    ),
    '',
  );
  if (report.profile) {
    md.push('## Profile of the server (PostgreSQL run, rows 4–9)', '');
    md.push(
      '`--profile`: the server ran under `node --cpu-prof`; the frames with the most self time:',
      '',
    );
    md.push(
      table(
        ['self ms', 'share', 'frame'],
        report.profile.map((p) => [f(p.ms, 0), `${f(p.share * 100, 1)}%`, `\`${p.frame}\``]),
      ),
      '',
    );
  }
  return md.join('\n');
}

/** Written as the repository's Prettier would, so `npm run check` stays clean with results committed. */
export async function writeReport(report, outDir) {
  const targets = computeTargets(report);
  const base = join(outDir, report.date.slice(0, 10));
  const options = (await prettier.resolveConfig(`${base}.md`)) ?? {};
  const json = await prettier.format(JSON.stringify({ ...report, targets }), {
    ...options,
    parser: 'json',
  });
  writeFileSync(`${base}.json`, json);
  const md = await prettier.format(renderMarkdown(report, targets), {
    ...options,
    parser: 'markdown',
  });
  writeFileSync(`${base}.md`, md);
  return { files: [`${base}.md`, `${base}.json`], targets };
}
