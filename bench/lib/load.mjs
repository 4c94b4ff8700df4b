// Load generators: autocannon for request/response rows, a small undici client for streams.
import autocannon from 'autocannon';
import { Pool } from 'undici';

export function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}

function runAutocannon(opts, onResponse) {
  return new Promise((resolve, reject) => {
    const instance = autocannon(opts, (err, result) => (err ? reject(err) : resolve(result)));
    if (onResponse) instance.on('response', onResponse);
  });
}

/**
 * One load point. Latencies come from autocannon's per-response times (sub-millisecond
 * resolution; its own histogram rounds to whole milliseconds). `amount` fixes the number of
 * requests instead of the duration.
 */
export async function cannon({
  url,
  method = 'GET',
  headers = {},
  body,
  connections,
  seconds,
  amount,
  warmupSeconds = 0,
  onMeasureStart,
}) {
  const base = {
    url,
    method,
    headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    connections: amount ? Math.min(connections, amount) : connections,
    timeout: 30,
  };
  if (warmupSeconds > 0 && !amount) await runAutocannon({ ...base, duration: warmupSeconds });
  await onMeasureStart?.();
  const latencies = [];
  const started = process.hrtime.bigint();
  const result = await runAutocannon(
    amount ? { ...base, amount } : { ...base, duration: seconds },
    (_client, statusCode, _bytes, responseTime) => {
      if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
    },
  );
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  latencies.sort((a, b) => a - b);
  const ok = result['2xx'];
  return {
    connections,
    requests: ok + result.non2xx,
    ok,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    statusCodes: result.statusCodeStats,
    seconds: elapsed,
    rps: ok / elapsed,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
  };
}

/**
 * Streams: `connections` loops each POSTing and reading the SSE answer to its end, timing the
 * first `data:` event and `data: [DONE]`.
 */
export async function streamLoad({
  origin,
  path,
  headers = {},
  body,
  connections,
  seconds,
  warmupSeconds = 0,
  onMeasureStart,
}) {
  const pool = new Pool(origin, { connections, pipelining: 1 });
  const payload = JSON.stringify(body);
  const one = async (stats) => {
    const t0 = process.hrtime.bigint();
    let first = null;
    let done = null;
    let text = '';
    try {
      const res = await pool.request({
        path,
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: payload,
      });
      if (res.statusCode !== 200) {
        stats.non2xx++;
        await res.body.dump();
        return;
      }
      for await (const chunk of res.body) {
        text += chunk.toString('utf8');
        if (first === null && /(^|\n)data:/.test(text)) first = process.hrtime.bigint();
        if (done === null && text.includes('data: [DONE]')) done = process.hrtime.bigint();
      }
    } catch {
      stats.errors++;
      return;
    }
    if (first === null || done === null || text.includes('event: error')) {
      stats.errors++;
      return;
    }
    stats.ok++;
    stats.first.push(Number(first - t0) / 1e6);
    stats.total.push(Number(done - t0) / 1e6);
  };
  const run = async (s) => {
    const stats = { ok: 0, non2xx: 0, errors: 0, first: [], total: [] };
    const end = Date.now() + s * 1000;
    const started = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: connections }, async () => {
        while (Date.now() < end) await one(stats);
      }),
    );
    stats.seconds = Number(process.hrtime.bigint() - started) / 1e9;
    return stats;
  };
  try {
    if (warmupSeconds > 0) await run(warmupSeconds);
    await onMeasureStart?.();
    const stats = await run(seconds);
    stats.first.sort((a, b) => a - b);
    stats.total.sort((a, b) => a - b);
    return {
      connections,
      requests: stats.ok + stats.non2xx + stats.errors,
      ok: stats.ok,
      non2xx: stats.non2xx,
      errors: stats.errors,
      seconds: stats.seconds,
      rps: stats.ok / stats.seconds,
      p50: percentile(stats.total, 0.5),
      p99: percentile(stats.total, 0.99),
      firstP50: percentile(stats.first, 0.5),
      firstP99: percentile(stats.first, 0.99),
    };
  } finally {
    await pool.close();
  }
}
