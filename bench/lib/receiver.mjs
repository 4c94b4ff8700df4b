// Row 8's webhook receiver: answers 204 at once, checks each delivery's Standard Webhooks
// signature, and counts deliveries per path (one path per subscriber), distinct event ids, and
// the lag from the event's created_at to its arrival. Driven over IPC by the harness.
import { Buffer } from 'node:buffer';
import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';

let secrets = new Map();
let state;
const reset = () => {
  state = { count: 0, badSignature: 0, unique: new Set(), first: 0, last: 0, lags: [] };
};
reset();

function verify(secret, headers, raw) {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = createHmac('sha256', key)
    .update(`${headers['webhook-id']}.${headers['webhook-timestamp']}.`)
    .update(raw)
    .digest();
  return String(headers['webhook-signature'] ?? '')
    .split(' ')
    .some((s) => {
      const got = Buffer.from(s.split(',')[1] ?? '', 'base64');
      return got.length === expected.length && timingSafeEqual(got, expected);
    });
}

const server = http.createServer((req, res) => {
  const parts = [];
  req.on('data', (c) => parts.push(c));
  req.on('end', () => {
    const now = Date.now();
    const raw = Buffer.concat(parts);
    const secret = secrets.get(req.url);
    if (!secret || !verify(secret, req.headers, raw)) state.badSignature++;
    state.count++;
    state.unique.add(`${req.url} ${req.headers['webhook-id']}`);
    if (!state.first) state.first = now;
    state.last = now;
    try {
      state.lags.push(now - Date.parse(JSON.parse(raw.toString('utf8')).created_at));
    } catch {
      state.badSignature++;
    }
    res.writeHead(204);
    res.end();
  });
});
server.keepAliveTimeout = 65_000;

process.on('message', (msg) => {
  if (msg.cmd === 'secrets') secrets = new Map(Object.entries(msg.secrets));
  if (msg.cmd === 'reset') reset();
  if (msg.cmd === 'stats') {
    const lags = state.lags.slice().sort((a, b) => a - b);
    const pct = (p) =>
      lags.length ? lags[Math.min(lags.length - 1, Math.floor(p * lags.length))] : null;
    process.send({
      stats: {
        count: state.count,
        unique: state.unique.size,
        badSignature: state.badSignature,
        first: state.first,
        last: state.last,
        lagP50: pct(0.5),
        lagP99: pct(0.99),
      },
    });
  }
});
server.listen(0, '127.0.0.1', () => process.send?.({ ready: true, port: server.address().port }));
process.on('disconnect', () => process.exit(0));
