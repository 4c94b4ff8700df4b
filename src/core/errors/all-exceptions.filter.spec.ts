import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { BadRequestException, ForbiddenException, Logger, NotFoundException } from '@nestjs/common';
import express from 'express';
import { QueryFailedError } from 'typeorm';

import { sendError, toAppException } from './all-exceptions.filter';
import { AppException } from './app.exception';
import { ERROR_CODES, ErrorCode } from './error-code';

describe(toAppException.name, () => {
  it('keeps an AppException as it is', () => {
    const e = new AppException(ErrorCode.SESSION_NOT_FOUND);
    expect(toAppException(e)).toBe(e);
  });

  it('maps Nest HTTP exceptions to codes', () => {
    expect(toAppException(new NotFoundException('Cannot GET /x'))?.code).toBe(ErrorCode.NOT_FOUND);
    expect(toAppException(new ForbiddenException())?.code).toBe(ErrorCode.FORBIDDEN);
    expect(toAppException(new BadRequestException())?.code).toBe(ErrorCode.VALIDATION_ERROR);
  });

  it('maps body-parser errors', () => {
    expect(toAppException({ type: 'entity.parse.failed', status: 400 })?.code).toBe(
      ErrorCode.INVALID_JSON,
    );
    expect(toAppException({ type: 'entity.too.large', status: 413 })?.code).toBe(
      ErrorCode.PAYLOAD_TOO_LARGE,
    );
  });

  it('recognises a backing service that went away', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(toAppException(refused)?.code).toBe(ErrorCode.SERVICE_UNAVAILABLE);
    const pgDown = new QueryFailedError(
      'SELECT 1',
      [],
      Object.assign(new Error('terminating'), { code: '57P01' }),
    );
    expect(toAppException(pgDown)?.code).toBe(ErrorCode.SERVICE_UNAVAILABLE);
  });

  it('leaves anything else to become INTERNAL_ERROR', () => {
    expect(toAppException(new Error('boom'))).toBeUndefined();
    expect(
      toAppException(new QueryFailedError('SELECT', [], new Error('syntax error'))),
    ).toBeUndefined();
  });
});

describe('ERROR_CODES', () => {
  it('gives every code an error status and a message', () => {
    for (const code of Object.values(ErrorCode)) {
      expect(ERROR_CODES[code].status).toBeGreaterThanOrEqual(400);
      expect(ERROR_CODES[code].message.length).toBeGreaterThan(0);
    }
  });
});

describe(sendError.name, () => {
  let server: Server;
  let base: string;
  const logger = { warn: jest.fn(), error: jest.fn() } as unknown as Logger;

  beforeAll(async () => {
    const app = express();
    // A stream that opened, sent a chunk, then met an error nothing caught.
    app.post(['/api/v1/chat/stream', '/v1/chat/completions', '/plain'], (req, res) => {
      if (req.path !== '/plain') {
        res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8' });
        res.write('data: {"text":"a"}\n\n');
      } else {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.write('{"partial":');
      }
      sendError(new Error('boom'), req, res, logger);
    });
    server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((done) => server.close(done)));

  it('ends a stream with its error event and [DONE], never cut off', async () => {
    const text = await (await fetch(`${base}/api/v1/chat/stream`, { method: 'POST' })).text();
    expect(text).toBe(
      'data: {"text":"a"}\n\n' +
        'event: error\ndata: {"error":{"code":"INTERNAL_ERROR","message":"Internal server error","details":{}}}\n\n' +
        'data: [DONE]\n\n',
    );
    expect(text).not.toContain('boom');
  });

  it("ends a /v1 stream with an error frame in OpenAI's shape and [DONE]", async () => {
    const text = await (await fetch(`${base}/v1/chat/completions`, { method: 'POST' })).text();
    const frames = text.split('\n\n').filter(Boolean);
    expect(frames).toHaveLength(3);
    expect(JSON.parse(frames[1].slice('data: '.length))).toEqual({
      error: expect.objectContaining({ type: 'server_error', code: 'internal_error' }),
    });
    expect(frames[2]).toBe('data: [DONE]');
  });

  it('only ends an answer that is no stream', async () => {
    expect(await (await fetch(`${base}/plain`, { method: 'POST' })).text()).toBe('{"partial":');
  });
});
