// Row 3: the framework's own cost. A minimal NestJS 11 app on Express with one controller route
// that forwards the JSON body to the upstream with undici and returns its JSON answer: the way a
// Nest app is usually written (body parsed by Nest, the result serialised by Nest), nothing else.
// Plain JS with Nest's decorators applied as functions, so it needs no build step.
import 'reflect-metadata';

import { Body, Controller, HttpCode, Module, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Pool } from 'undici';

const upstream = new Pool(process.env.BENCH_UPSTREAM, { connections: 128 });

class ForwardController {
  async completions(body) {
    const res = await upstream.request({
      path: '/v1/chat/completions',
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer bench' },
      body: JSON.stringify(body),
    });
    return res.body.json();
  }
}
const proto = ForwardController.prototype;
const method = Object.getOwnPropertyDescriptor(proto, 'completions');
Controller('v1')(ForwardController);
Post('chat/completions')(proto, 'completions', method);
HttpCode(200)(proto, 'completions', method);
Body()(proto, 'completions', 0);

class ForwardModule {}
Module({ controllers: [ForwardController] })(ForwardModule);

const app = await NestFactory.create(ForwardModule, { logger: ['error', 'warn'] });
await app.listen(0, '127.0.0.1');
process.send?.({ ready: true, port: app.getHttpServer().address().port });
process.on('disconnect', () => process.exit(0));
