// A fast OpenAI-compatible upstream for the benchmarks: POST /v1/chat/completions (plain and
// streamed) and GET /v1/models. Run as a child process; tells its parent the port over IPC.
//   BENCH_UPSTREAM_DELAY_MS   wait before the answer (plain) or the first chunk (stream), default 0
//   BENCH_STREAM_CHUNKS       content chunks per stream, default 8
//   BENCH_CHUNK_DELAY_MS      wait between stream chunks, default 0
import { Buffer } from 'node:buffer';
import http from 'node:http';

const DELAY_MS = Number(process.env.BENCH_UPSTREAM_DELAY_MS ?? 0);
const CHUNKS = Math.max(1, Number(process.env.BENCH_STREAM_CHUNKS ?? 8));
const CHUNK_DELAY_MS = Number(process.env.BENCH_CHUNK_DELAY_MS ?? 0);
const WORDS = ['Hello', ' from', ' the', ' bench', ' upstream', '.', ' All', ' good', '!'];
const REPLY = WORDS.join('');

const sleep = (ms) => (ms > 0 ? new Promise((r) => setTimeout(r, ms)) : Promise.resolve());

function models(res) {
  const data = ['gpt-4o', 'gpt-4o-mini'].map((id) => ({ id, object: 'model', owned_by: 'bench' }));
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ object: 'list', data }));
}

async function plain(res, body) {
  await sleep(DELAY_MS);
  const payload = JSON.stringify({
    id: 'chatcmpl-bench',
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: body.model ?? 'gpt-4o',
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: REPLY },
        finish_reason: 'stop',
        logprobs: null,
      },
    ],
    usage: { prompt_tokens: 9, completion_tokens: 9, total_tokens: 18 },
  });
  res.writeHead(200, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(payload),
  });
  res.end(payload);
}

async function stream(res, body) {
  const model = body.model ?? 'gpt-4o';
  const created = Math.floor(Date.now() / 1000);
  const chunk = (delta, finish = null, usage) =>
    `data: ${JSON.stringify({
      id: 'chatcmpl-bench',
      object: 'chat.completion.chunk',
      created,
      model,
      choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
      ...(usage ? { usage } : {}),
    })}\n\n`;
  await sleep(DELAY_MS);
  res.socket?.setNoDelay(true);
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  for (let i = 0; i < CHUNKS; i++) {
    if (i > 0) await sleep(CHUNK_DELAY_MS);
    const text = WORDS[i % WORDS.length];
    res.write(chunk(i === 0 ? { role: 'assistant', content: text } : { content: text }));
  }
  res.write(chunk({}, 'stop'));
  if (body.stream_options?.include_usage) {
    const usage = { prompt_tokens: 9, completion_tokens: CHUNKS, total_tokens: 9 + CHUNKS };
    res.write(
      `data: ${JSON.stringify({ id: 'chatcmpl-bench', object: 'chat.completion.chunk', created, model, choices: [], usage })}\n\n`,
    );
  }
  res.end('data: [DONE]\n\n');
}

const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url.endsWith('/models')) return models(res);
  if (req.method !== 'POST' || !req.url.endsWith('/chat/completions')) {
    res.writeHead(404, { 'content-type': 'application/json' });
    return res.end('{"error":{"message":"not found","type":"invalid_request_error"}}');
  }
  const parts = [];
  req.on('data', (c) => parts.push(c));
  req.on('end', () => {
    let body;
    try {
      body = JSON.parse(Buffer.concat(parts).toString('utf8'));
    } catch {
      res.writeHead(400, { 'content-type': 'application/json' });
      return res.end('{"error":{"message":"bad json","type":"invalid_request_error"}}');
    }
    (body.stream ? stream(res, body) : plain(res, body)).catch(() => res.destroy());
  });
});
server.keepAliveTimeout = 65_000;
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  process.send?.({ ready: true, port: server.address().port });
});
process.on('disconnect', () => process.exit(0));
