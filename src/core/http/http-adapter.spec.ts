import type { Server } from 'node:http';
import { type AddressInfo, connect } from 'node:net';

import type { Express } from 'express';

import { AppHttpAdapter } from './http-adapter';

describe('AppHttpAdapter', () => {
  let adapter: AppHttpAdapter;
  let server: Server;
  let origin: string;
  const arrivals: { request: boolean; response: boolean }[] = [];

  beforeAll(async () => {
    adapter = new AppHttpAdapter();
    adapter.initHttpServer({});
    const app = adapter.getInstance<Express>();
    server = adapter.getHttpServer() as Server;
    // Before Express sees them: what the server built them on.
    server.prependListener('request', (req, res) =>
      arrivals.push({
        request: Object.getPrototypeOf(req) === app.request,
        response: Object.getPrototypeOf(res) === app.response,
      }),
    );
    app.get('/probe', (req, res) => {
      res.json({ accept: req.get('accept'), q: req.query.q, ip: typeof req.ip });
    });
    app.get('/object', (_req, res) => {
      adapter.reply(res, { hello: 'wörld' }, 201);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it("builds requests and responses on Express's prototypes, so Express need not set them", async () => {
    arrivals.length = 0;
    await fetch(`${origin}/probe`);
    await fetch(`${origin}/probe`);
    expect(arrivals).toEqual([
      { request: true, response: true },
      { request: true, response: true },
    ]);
  });

  it("keeps Express's request and response methods working", async () => {
    const res = await fetch(`${origin}/probe?q=1`, { headers: { accept: 'text/x-probe' } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ accept: 'text/x-probe', q: '1', ip: 'string' });
  });

  it("answers a handler's object as JSON with its status", async () => {
    const res = await fetch(`${origin}/object`);
    expect(res.status).toBe(201);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.headers.get('content-length')).toBe(String(Buffer.byteLength('{"hello":"wörld"}')));
    expect(await res.json()).toEqual({ hello: 'wörld' });
  });

  /** What the server answers to raw bytes, read until it closes the connection. */
  function raw(request: string): Promise<string> {
    const { port } = server.address() as AddressInfo;
    return new Promise((resolve, reject) => {
      let got = '';
      const socket = connect(port, '127.0.0.1', () => socket.write(request));
      socket.setEncoding('utf8');
      socket.on('data', (d: string) => (got += d));
      socket.on('close', () => resolve(got));
      socket.on('error', reject);
    });
  }

  it.each([
    [
      'a header line without a colon',
      'GET /probe HTTP/1.1\r\nHost: x\r\nNot a header\r\n\r\n',
      400,
      'VALIDATION_ERROR',
    ],
    [
      'a method that is no token',
      'FO(O /probe HTTP/1.1\r\nHost: x\r\n\r\n',
      400,
      'VALIDATION_ERROR',
    ],
    [
      'headers over 16 KiB',
      `GET /probe HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
      431,
      'PAYLOAD_TOO_LARGE',
    ],
  ])(
    'answers %s in the error envelope, with an X-Request-Id',
    async (_what, request, status, code) => {
      const answer = await raw(request);
      const [head, body] = answer.split('\r\n\r\n');
      expect(head).toMatch(new RegExp(`^HTTP/1.1 ${status} `));
      expect(head).toMatch(/\r\nX-Request-Id: [0-9a-f-]{36}\r\n/);
      expect(head).toMatch(/\r\nContent-Type: application\/json; charset=utf-8\r\n/);
      expect(JSON.parse(body)).toEqual({
        error: { code, message: expect.any(String), details: {} },
      });
    },
  );
});
