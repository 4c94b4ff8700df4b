import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

import type { Response } from 'express';

import { SseWriter } from './sse-writer';

describe(SseWriter.name, () => {
  let server: Server;
  let url: string;

  beforeAll(async () => {
    server = createServer((req, res) => {
      void (async () => {
        const sse = new SseWriter(Object.assign(res, { req }) as unknown as Response);
        sse.open({ 'X-Session-Id': 's1' }, 60_000);
        sse.data({ text: 'a' });
        await sleep(5);
        sse.data({ text: 'b' });
        sse.data({ text: 'c' });
        await sleep(5);
        sse.event('usage', { tokens: 3 });
        // Ended in the same turn as the last writes, while they are held to leave together.
        sse.done();
      })();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });

  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it('delivers every event written, the last ones with the end of the response', async () => {
    const res = await fetch(url);
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(res.headers.get('x-session-id')).toBe('s1');
    expect(await res.text()).toBe(
      [
        'data: {"text":"a"}',
        'data: {"text":"b"}',
        'data: {"text":"c"}',
        'event: usage\ndata: {"tokens":3}',
        'data: [DONE]',
        '',
      ].join('\n\n'),
    );
  });
});
