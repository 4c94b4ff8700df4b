// Row 3+: what a /v1 gateway that follows the contract costs on this stack, and nothing more. The
// app of row 3 (NestJS 11 on Express, plain JS with decorators applied as functions) plus the work
// SPEC requires of every POST /v1/chat/completions, each done the cheapest sensible way: the
// request id echoed or made and sent back (§3), a global guard (the API key's SHA-256 looked up in
// a cache, the database read once), the user's two rate-limit buckets, all routes and chat, in one
// Redis script (§11), the body checked by Nest's ValidationPipe against a DTO of OpenAI's request
// fields, each with its type and range (§10: they are accepted and passed on, so they are
// checked), the forward with undici under a deadline and cancelled when the client goes away (§5),
// the usage record INSERTed into PostgreSQL before the answer (a named prepared statement; records
// of concurrent calls share one INSERT, as the server's do), a count of requests in flight for the
// shutdown's drain (§11), one request log line with the id (pino at 'warn', so the 'info' line is
// only checked) and a prom-client counter and histogram. No error envelope, quota or OpenAPI: a
// caller without limits costs a quota nothing, and the rest only concerns errors.
// Row 5+ is the same app's POST /api/v1/chat for a new session (row 5's case; a session_id is
// refused): the same guard and log, the upstream call, then the session, both messages and the
// usage record in one prepared statement, committed before the answer. Row 6+ is its
// POST /api/v1/chat/stream: the same turn over the provider's stream, a `data:` event per piece,
// the turn stored, then `event: usage` and `[DONE]`. The tables have the keys, foreign keys and
// indexes that the server's have, since what SPEC asks of them needs each one.
//   BENCH_UPSTREAM, BENCH_PG_URL (its database; a table is created at start and dropped at exit),
//   BENCH_REDIS_URL, BENCH_API_KEY (the key the caller sends).
import 'reflect-metadata';

import { createHash, randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';

import {
  Body,
  Controller,
  HttpCode,
  HttpException,
  Module,
  Post,
  Req,
  Res,
  UnauthorizedException,
  ValidationPipe,
} from '@nestjs/common';
import { APP_GUARD, NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { Type } from 'class-transformer';
import {
  Allow,
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  Length,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import Redis from 'ioredis';
import pg from 'pg';
import { pino } from 'pino';
import { Counter, Histogram, Registry } from 'prom-client';
import { Pool } from 'undici';

const upstream = new Pool(process.env.BENCH_UPSTREAM, { connections: 128 });
const db = new pg.Pool({ connectionString: process.env.BENCH_PG_URL, max: 10 });
const redis = new Redis(process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/14');
const logger = pino({ level: 'warn', base: { service: 'openclaw-floor' } });
const RATE_LIMIT_PER_MINUTE = 1_000_000_000;
const UPSTREAM_TIMEOUT_MS = 60_000;
const PRICES = { 'gpt-4o': { input: 2.5, output: 10 } };

const USERS = 'floor_users';
const KEYS = 'floor_api_keys';
const USAGE = 'floor_usage_records';
const SESSIONS = 'floor_sessions';
const MESSAGES = 'floor_messages';
const TABLES = `${MESSAGES}, ${SESSIONS}, ${USAGE}, ${KEYS}, ${USERS}`;
const userId = randomUUID();
const apiKeyId = randomUUID();
await db.query(`DROP TABLE IF EXISTS ${TABLES}`);
await db.query(`CREATE TABLE ${USERS} (id uuid PRIMARY KEY, email text NOT NULL UNIQUE)`);
await db.query(`CREATE TABLE ${KEYS} (id uuid PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES ${USERS} (id) ON DELETE CASCADE,
  key_hash text NOT NULL UNIQUE, revoked_at timestamptz)`);
// Usage is billing history: no foreign keys; indexed for the usage queries of SPEC §13.
await db.query(`CREATE TABLE ${USAGE} (id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL, api_key_id uuid, model text NOT NULL, provider text NOT NULL,
  endpoint text NOT NULL, status text NOT NULL, input_tokens int NOT NULL, output_tokens int NOT NULL,
  cost_usd double precision, latency_ms int NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`);
await db.query(`CREATE INDEX ON ${USAGE} (user_id, created_at, id)`);
await db.query(`CREATE INDEX ON ${USAGE} (api_key_id, created_at)`);
await db.query(`CREATE INDEX ON ${USAGE} (created_at, id)`);
// A user's sessions go with the user, a session's messages with the session (SPEC §4, §6).
await db.query(`CREATE TABLE ${SESSIONS} (id uuid PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES ${USERS} (id) ON DELETE CASCADE, name text NOT NULL,
  model text, last_seq int NOT NULL, message_count int NOT NULL,
  created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL)`);
await db.query(`CREATE INDEX ON ${SESSIONS} (user_id, created_at, id)`);
await db.query(`CREATE TABLE ${MESSAGES} (id uuid PRIMARY KEY,
  session_id uuid NOT NULL REFERENCES ${SESSIONS} (id) ON DELETE CASCADE, seq int NOT NULL,
  role text NOT NULL, content text NOT NULL, model text, tokens int NOT NULL, status text NOT NULL,
  created_at timestamptz NOT NULL)`);
await db.query(`CREATE UNIQUE INDEX ON ${MESSAGES} (session_id, seq)`);
const sha256 = (s) => createHash('sha256').update(s).digest('hex');
await db.query(`INSERT INTO ${USERS} (id, email) VALUES ($1, 'floor@openclaw.local')`, [userId]);
await db.query(`INSERT INTO ${KEYS} (id, user_id, key_hash) VALUES ($1, $2, $3)`, [
  apiKeyId,
  userId,
  sha256(process.env.BENCH_API_KEY),
]);

// Counts this request in each of the caller's one-minute buckets (all routes, chat); the expiry is
// set when a window opens. Answers the highest count.
redis.defineCommand('floorRateLimit', {
  numberOfKeys: 2,
  lua: `local top = 0
for _, key in ipairs(KEYS) do
  local n = redis.call('INCR', key)
  if n == 1 then redis.call('PEXPIRE', key, ARGV[1]) end
  if n > top then top = n end
end
return top`,
});

const registry = new Registry();
const httpRequests = new Counter({
  name: 'openclaw_http_requests_total',
  help: 'HTTP requests by method, route template and status',
  labelNames: ['method', 'route', 'status'],
  registers: [registry],
});
const httpDuration = new Histogram({
  name: 'openclaw_http_request_duration_seconds',
  help: 'HTTP request duration by method and route template',
  labelNames: ['method', 'route'],
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [registry],
});
// Labelled children cached, as the server does: prom-client would hash the labels on every call.
const series = new Map();

const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;
// What the shutdown's drain waits for.
let inFlight = 0;

/** The request's log line and metrics, once its connection is done with it. */
function ended() {
  const req = this.req;
  inFlight--;
  // The client left before the answer: its provider call is cancelled.
  if (!this.writableFinished) req.cancel?.emit('abort');
  const ms = performance.now() - req.receivedAt;
  const route = req.route?.path ? `${req.baseUrl}${req.route.path}` : 'unmatched';
  const key = `${req.method} ${route} ${this.statusCode}`;
  let s = series.get(key);
  if (!s) {
    s = {
      requests: httpRequests.labels({ method: req.method, route, status: String(this.statusCode) }),
      duration: httpDuration.labels({ method: req.method, route }),
    };
    series.set(key, s);
  }
  s.requests.inc();
  s.duration.observe(ms / 1000);
  if (!logger.isLevelEnabled('info')) return;
  logger.info(
    {
      req: { id: req.id, method: req.method, url: req.originalUrl },
      res: { status: this.statusCode },
    },
    `${req.method} ${req.originalUrl} ${this.statusCode} ${Math.round(ms)}ms`,
  );
}

const credentials = new Map();

class AuthGuard {
  async canActivate(context) {
    const req = context.switchToHttp().getRequest();
    const header = req.headers.authorization;
    if (typeof header !== 'string' || !header.startsWith('Bearer ')) {
      throw new UnauthorizedException();
    }
    const hash = sha256(header.slice(7));
    let principal = credentials.get(hash);
    if (!principal) {
      const { rows } = await db.query({
        name: 'floor-key',
        text: `SELECT id, user_id FROM ${KEYS} WHERE key_hash = $1 AND revoked_at IS NULL`,
        values: [hash],
      });
      if (!rows.length) throw new UnauthorizedException();
      principal = { userId: rows[0].user_id, apiKeyId: rows[0].id };
      credentials.set(hash, principal);
    }
    const window = Math.floor(Date.now() / 60_000);
    const count = await redis.floorRateLimit(
      `openclaw:floor:rl:all:${principal.userId}:${window}`,
      `openclaw:floor:rl:chat:${principal.userId}:${window}`,
      60_000,
    );
    if (count > RATE_LIMIT_PER_MINUTE) throw new HttpException('rate limit exceeded', 429);
    req.user = principal;
    return true;
  }
}

class MessageDto {}
IsString()(MessageDto.prototype, 'role');
IsIn(['system', 'developer', 'user', 'assistant', 'tool'])(MessageDto.prototype, 'role');
IsString()(MessageDto.prototype, 'content');
MaxLength(1_000_000)(MessageDto.prototype, 'content');

class StreamOptionsDto {}
IsOptional()(StreamOptionsDto.prototype, 'include_usage');
IsBoolean()(StreamOptionsDto.prototype, 'include_usage');

class CompletionDto {}
const field = (name, ...rules) => {
  for (const rule of rules) rule(CompletionDto.prototype, name);
};
const optional = (name, ...rules) => field(name, IsOptional(), ...rules);
const finite = () => IsNumber({ allowNaN: false, allowInfinity: false });
field('model', IsString(), Length(1, 100));
field('messages', IsArray(), ArrayMinSize(1), ArrayMaxSize(10_000));
field(
  'messages',
  ValidateNested({ each: true }),
  Type(() => MessageDto),
);
optional('stream', IsBoolean());
optional(
  'stream_options',
  IsObject(),
  ValidateNested(),
  Type(() => StreamOptionsDto),
);
optional('temperature', finite(), Min(0), Max(2));
optional('top_p', finite(), Min(0), Max(1));
optional('n', IsInt(), Min(1), Max(128));
optional('max_tokens', IsInt(), Min(1));
optional('max_completion_tokens', IsInt(), Min(1));
optional('stop');
optional('presence_penalty', finite(), Min(-2), Max(2));
optional('frequency_penalty', finite(), Min(-2), Max(2));
optional('seed', IsInt());
optional('user', IsString(), MaxLength(256));
optional('logit_bias', IsObject());
optional('response_format', IsObject());
optional('tools', IsArray(), ArrayMaxSize(128), IsObject({ each: true }));
field('tool_choice', Allow());
optional('parallel_tool_calls', IsBoolean());
optional('logprobs');
optional('top_logprobs', IsInt(), Min(0), Max(20));

// The records of calls that end while an INSERT is in flight go in the next one, as the server
// does: one statement and one commit for many calls, each still answered only once its row is in.
const USAGE_COLUMNS = 10;
const MAX_BATCH = 200;
const pending = [];
let inserting = false;

function recordUsage(values) {
  return new Promise((resolve, reject) => {
    pending.push({ values, resolve, reject });
    if (!inserting) void insertPending();
  });
}

async function insertPending() {
  inserting = true;
  while (pending.length) {
    const batch = pending.splice(0, MAX_BATCH);
    const columns = Array.from({ length: USAGE_COLUMNS }, (_, i) => batch.map((r) => r.values[i]));
    try {
      await db.query({
        name: 'floor-usage',
        text: `INSERT INTO ${USAGE} (user_id, api_key_id, model, provider, endpoint, status,
          input_tokens, output_tokens, cost_usd, latency_ms)
          SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[],
            $6::text[], $7::int[], $8::int[], $9::double precision[], $10::int[])`,
        values: columns,
      });
      for (const r of batch) r.resolve();
    } catch (err) {
      for (const r of batch) r.reject(err);
    }
  }
  inserting = false;
}

/** The provider call, cancelled at its deadline or when the client goes away. */
async function callUpstream(req, body) {
  const cancel = new EventEmitter();
  req.cancel = cancel;
  const deadline = setTimeout(() => cancel.emit('abort'), UPSTREAM_TIMEOUT_MS);
  try {
    return await upstream.request({
      path: '/v1/chat/completions',
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer bench' },
      body: JSON.stringify(body),
      signal: cancel,
    });
  } finally {
    clearTimeout(deadline);
  }
}

class CompletionsController {
  async completions(body, req) {
    const started = performance.now();
    const res = await callUpstream(req, body);
    const answer = await res.body.json();
    if (res.statusCode !== 200) throw new HttpException('upstream error', 502);
    const input = answer.usage?.prompt_tokens ?? 0;
    const output = answer.usage?.completion_tokens ?? 0;
    const price = PRICES[body.model];
    await recordUsage([
      req.user.userId,
      req.user.apiKeyId,
      body.model,
      'openai',
      '/v1/chat/completions',
      'complete',
      input,
      output,
      price ? (input * price.input + output * price.output) / 1e6 : null,
      Math.round(performance.now() - started),
    ]);
    return answer;
  }
}
class ChatDto {}
IsString()(ChatDto.prototype, 'message');
Length(1, 100_000)(ChatDto.prototype, 'message');
IsOptional()(ChatDto.prototype, 'session_id');
IsString()(ChatDto.prototype, 'session_id');
MaxLength(100)(ChatDto.prototype, 'session_id');
IsOptional()(ChatDto.prototype, 'model');
IsString()(ChatDto.prototype, 'model');
Length(1, 100)(ChatDto.prototype, 'model');
IsOptional()(ChatDto.prototype, 'temperature');
IsNumber({ allowNaN: false, allowInfinity: false })(ChatDto.prototype, 'temperature');
Min(0)(ChatDto.prototype, 'temperature');
Max(2)(ChatDto.prototype, 'temperature');

// The session, both messages (seq 1 and 2) and the usage record: stored together or not at all.
const turnSql = (endpoint, status) => `WITH s AS (
    INSERT INTO ${SESSIONS} (id, user_id, name, model, last_seq, message_count, created_at, updated_at)
    VALUES ($1, $2, $3, $4, 2, 2, $5, $5) RETURNING id),
  u AS (INSERT INTO ${USAGE} (user_id, api_key_id, model, provider, endpoint, status, input_tokens,
      output_tokens, cost_usd, latency_ms, created_at)
    VALUES ($2, $6, $4, 'openai', '${endpoint}', '${status}', $7, $8, $9, $10, $5))
  INSERT INTO ${MESSAGES} (id, session_id, seq, role, content, model, tokens, status, created_at)
  SELECT v.id, s.id, v.seq, v.role, v.content, $4, v.tokens, '${status}', $5
    FROM s, (VALUES ($11::uuid, 1, 'user', $12::text, $7::int),
                    ($13::uuid, 2, 'assistant', $14::text, $8::int)) AS v (id, seq, role, content, tokens)`;

function upstreamBody(body, model, stream) {
  return {
    model,
    messages: [{ role: 'user', content: body.message }],
    ...(body.temperature === undefined ? {} : { temperature: body.temperature }),
    ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
  };
}

/** A new session's turn, stored whole; answers the assistant message's id. */
async function storeTurn(turn, reply, usage, status) {
  const { req, body, model, sessionId, started, endpoint } = turn;
  const input = usage?.prompt_tokens ?? 0;
  const output = usage?.completion_tokens ?? 0;
  const price = PRICES[model];
  const messageId = randomUUID();
  await db.query({
    name: `floor-turn-${endpoint}-${status}`,
    text: turnSql(endpoint, status),
    values: [
      sessionId,
      req.user.userId,
      body.message.slice(0, 50),
      model,
      new Date(),
      req.user.apiKeyId,
      input,
      output,
      price ? (input * price.input + output * price.output) / 1e6 : null,
      Math.round(performance.now() - started),
      randomUUID(),
      body.message,
      messageId,
      reply,
    ],
  });
  return { messageId, tokens: { input, output } };
}

/** What a turn knows before the provider is called. */
function newTurn(body, req, endpoint) {
  if (body.session_id !== undefined) {
    throw new HttpException('this floor starts a new session each turn', 400);
  }
  const model = body.model ?? 'gpt-4o';
  return { req, body, model, sessionId: randomUUID(), started: performance.now(), endpoint };
}

class ChatController {
  async chat(body, req) {
    const turn = newTurn(body, req, '/api/v1/chat');
    const res = await callUpstream(req, upstreamBody(body, turn.model, false));
    const answer = await res.body.json();
    if (res.statusCode !== 200) throw new HttpException('upstream error', 502);
    const reply = answer.choices?.[0]?.message?.content ?? '';
    const { messageId, tokens } = await storeTurn(turn, reply, answer.usage, 'complete');
    return {
      response: reply,
      session_id: turn.sessionId,
      message_id: messageId,
      model: turn.model,
      tokens,
    };
  }

  /**
   * The response opens with the provider's first piece (an error before it is a plain JSON error);
   * the provider's deadline runs from each piece to the next; a comment every 15 s keeps proxies
   * open.
   */
  async stream(body, req, res) {
    const turn = newTurn(body, req, '/api/v1/chat/stream');
    const cancel = new EventEmitter();
    req.cancel = cancel;
    const deadline = setTimeout(() => cancel.emit('abort'), UPSTREAM_TIMEOUT_MS);
    let ping;
    let reply = '';
    let usage;
    let complete = false;
    try {
      const up = await upstream.request({
        path: '/v1/chat/completions',
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer bench' },
        body: JSON.stringify(upstreamBody(body, turn.model, true)),
        signal: cancel,
      });
      if (up.statusCode !== 200) throw new HttpException('upstream error', 502);
      let partial = '';
      up.body.setEncoding('utf8');
      for await (const text of up.body) {
        deadline.refresh();
        const lines = (partial + text).split('\n');
        partial = lines.pop();
        let out = '';
        for (const line of lines) {
          if (!line.startsWith('data: ')) continue;
          const data = line.slice(6);
          if (data === '[DONE]') {
            complete = true;
            continue;
          }
          const chunk = JSON.parse(data);
          if (chunk.usage) usage = chunk.usage;
          const piece = chunk.choices?.[0]?.delta?.content;
          if (piece) {
            reply += piece;
            out += `data: ${JSON.stringify({ text: piece })}\n\n`;
          }
        }
        if (!out) continue;
        if (!res.headersSent) {
          res.socket.setNoDelay(true);
          res.writeHead(200, {
            'Content-Type': 'text/event-stream; charset=utf-8',
            'Cache-Control': 'no-cache, no-transform',
            'X-Accel-Buffering': 'no',
            'X-Session-Id': turn.sessionId,
          });
          ping = setInterval(() => res.write(': ping\n\n'), 15_000);
        }
        res.write(out);
      }
    } catch (err) {
      if (!res.headersSent) throw err;
    } finally {
      clearTimeout(deadline);
    }
    const { messageId, tokens } = await storeTurn(
      turn,
      reply,
      usage,
      complete ? 'complete' : 'incomplete',
    );
    clearInterval(ping);
    if (complete) {
      res.write(
        `event: usage\ndata: ${JSON.stringify({ session_id: turn.sessionId, message_id: messageId, tokens })}\n\n`,
      );
    }
    res.end('data: [DONE]\n\n');
  }
}
const chatProto = ChatController.prototype;
const chat = Object.getOwnPropertyDescriptor(chatProto, 'chat');
Controller('api/v1')(ChatController);
Post('chat')(chatProto, 'chat', chat);
HttpCode(200)(chatProto, 'chat', chat);
Body()(chatProto, 'chat', 0);
Req()(chatProto, 'chat', 1);
Reflect.defineMetadata('design:paramtypes', [ChatDto, Object], chatProto, 'chat');
const stream = Object.getOwnPropertyDescriptor(chatProto, 'stream');
Post('chat/stream')(chatProto, 'stream', stream);
Body()(chatProto, 'stream', 0);
Req()(chatProto, 'stream', 1);
Res()(chatProto, 'stream', 2);
Reflect.defineMetadata('design:paramtypes', [ChatDto, Object, Object], chatProto, 'stream');

const proto = CompletionsController.prototype;
const method = Object.getOwnPropertyDescriptor(proto, 'completions');
Controller('v1')(CompletionsController);
Post('chat/completions')(proto, 'completions', method);
HttpCode(200)(proto, 'completions', method);
Body()(proto, 'completions', 0);
Req()(proto, 'completions', 1);
// What TypeScript's emitDecoratorMetadata would write: the pipe validates against the DTO it names.
Reflect.defineMetadata('design:paramtypes', [CompletionDto, Object], proto, 'completions');
class FloorModule {}
Module({
  controllers: [CompletionsController, ChatController],
  providers: [{ provide: APP_GUARD, useValue: new AuthGuard() }],
})(FloorModule);

// Requests and responses built on Express's prototypes, as the server's are (src/core/http/
// http-adapter.ts): Express's per-request Object.setPrototypeOf then changes nothing, and V8 no
// longer promotes each request's objects. A way of using the stack, so the floor has it too.
class FloorAdapter extends ExpressAdapter {
  initHttpServer() {
    const app = this.getInstance();
    const builtOn = (base, prototype) => {
      function Built(...args) {
        base.apply(this, args);
      }
      Built.prototype = prototype;
      return Built;
    };
    this.httpServer = createServer(
      {
        IncomingMessage: builtOn(IncomingMessage, app.request),
        ServerResponse: builtOn(ServerResponse, app.response),
      },
      app,
    );
  }
}
const app = await NestFactory.create(FloorModule, new FloorAdapter(), {
  logger: ['error', 'warn'],
});
app.use((req, res, next) => {
  req.receivedAt = performance.now();
  const given = req.headers['x-request-id'];
  req.id = typeof given === 'string' && SAFE_ID.test(given) ? given : randomUUID();
  res.setHeader('X-Request-Id', req.id);
  inFlight++;
  res.on('close', ended);
  next();
});
// As the server validates OpenAI's request body: unknown fields dropped, not refused.
app.useGlobalPipes(
  new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: false,
    transform: true,
    validationError: { target: false, value: false },
  }),
);
await app.listen(0, '127.0.0.1');

let closing = false;
async function close() {
  if (closing) return;
  closing = true;
  // The drain: what is in flight finishes (the load generator has stopped by now).
  for (let waited = 0; inFlight > 0 && waited < 5_000; waited += 10) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await app.close();
  await db.query(`DROP TABLE IF EXISTS ${TABLES}`).catch(() => undefined);
  await Promise.allSettled([db.end(), redis.quit(), upstream.close()]);
  process.exit(0);
}
process.on('SIGTERM', close);
process.on('disconnect', close);
process.send?.({ ready: true, port: app.getHttpServer().address().port });
