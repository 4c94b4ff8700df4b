import { DynamicModule, Global, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Logger } from 'nestjs-pino';
import request from 'supertest';
import { DataSource } from 'typeorm';

import { AppModule } from '../../src/app.module';
import {
  COMPLETION_GATE,
  CompletionCall,
  CompletionGate,
  CompletionOutcome,
} from '../../src/completions/completion-gate';
import type { Env } from '../../src/core/env/env';
import { configureApp } from '../../src/core/http/configure-app';
import { flushRedis, resetDatabase, TestApp } from './test-app';
import { ADMIN_EMAIL, ADMIN_PASSWORD } from './test-env';

export type GateEntry =
  | { kind: 'admit'; call: CompletionCall }
  | { kind: 'settle'; call: CompletionCall; outcome: CompletionOutcome; recorded: boolean };

/** A completion gate that writes down every admit and settle; `refuse` makes admit throw it. */
export class RecordingGate implements CompletionGate {
  readonly entries: GateEntry[] = [];
  refuse?: Error;

  async admit(call: CompletionCall): Promise<void> {
    this.entries.push({ kind: 'admit', call });
    if (this.refuse) throw this.refuse;
  }

  async settle(call: CompletionCall, outcome: CompletionOutcome, recorded: boolean): Promise<void> {
    this.entries.push({ kind: 'settle', call, outcome, recorded });
  }

  reset(): void {
    this.entries.length = 0;
    this.refuse = undefined;
  }
}

/** Provides COMPLETION_GATE the way a feature module would: global, next to the app's own modules. */
@Global()
@Module({})
class GateModule {
  static with(gate: CompletionGate): DynamicModule {
    return {
      module: GateModule,
      providers: [{ provide: COMPLETION_GATE, useValue: gate }],
      exports: [COMPLETION_GATE],
    };
  }
}

@Module({})
class AppWithGate {}

/** The real application with `gate` provided beside AppModule, started as test-app's startApp does. */
export async function startAppWithGate(env: Env, gate: CompletionGate): Promise<TestApp> {
  await resetDatabase(env);
  await flushRedis();
  const app = await NestFactory.create<NestExpressApplication>(
    { module: AppWithGate, imports: [AppModule.forRoot(env), GateModule.with(gate)] },
    { bodyParser: false, bufferLogs: true, abortOnError: false },
  );
  app.useLogger(app.get(Logger));
  configureApp(app, env);
  await app.listen(0, '127.0.0.1');
  const http = () => request(app.getHttpServer());
  const login = await http()
    .post('/api/v1/auth/login')
    .send({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
  return {
    app,
    env,
    db: app.get(DataSource),
    http,
    adminToken: login.body.access_token,
    close: () => app.close(),
  };
}
