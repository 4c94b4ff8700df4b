// Row 2: the practical floor for a Node gateway. node:http in, undici out, bodies piped through
// untouched (plain and streamed). BENCH_UPSTREAM is the upstream's origin.
import { Buffer } from 'node:buffer';
import http from 'node:http';

import { Pool } from 'undici';

const upstream = new Pool(process.env.BENCH_UPSTREAM, { connections: 128, pipelining: 1 });

const server = http.createServer((req, res) => {
  const parts = [];
  req.on('data', (c) => parts.push(c));
  req.on('end', () => {
    upstream
      .request({
        path: req.url,
        method: req.method,
        headers: { 'content-type': 'application/json', authorization: 'Bearer bench' },
        body: parts.length ? Buffer.concat(parts) : undefined,
      })
      .then(({ statusCode, headers, body }) => {
        res.socket?.setNoDelay(true);
        res.writeHead(statusCode, {
          'content-type': headers['content-type'] ?? 'application/json',
        });
        body.on('data', (c) => res.write(c));
        body.on('end', () => res.end());
        body.on('error', () => res.destroy());
      })
      .catch(() => {
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
        res.end('{"error":"upstream"}');
      });
  });
});
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => process.send?.({ ready: true, port: server.address().port }));
process.on('disconnect', () => process.exit(0));
