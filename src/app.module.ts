import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

import { AdminConsoleModule } from './admin-console/admin-console.module';
import { AppConfigModule } from './app-config/app-config.module';
import { AuthModule } from './auth/auth.module';
import { ChatModule } from './chat/chat.module';
import { AuthGuard } from './core/auth/auth.guard';
import { dataSourceOptions } from './core/database/data-source-options';
import { migrationWait, runMigrationsLocked } from './core/database/migrate';
import { bindSqliteNumbers } from './core/database/sqlite-numbers';
import type { Env } from './core/env/env';
import { EnvModule } from './core/env/env.module';
import { AllExceptionsFilter } from './core/errors/all-exceptions.filter';
import { EventsModule } from './core/events/events.module';
import { AppValidationPipe } from './core/http/app-validation.pipe';
import { loggingModule } from './core/http/logging';
import { RequestBodyGuard } from './core/http/request-body.guard';
import { QueueModule } from './core/queue/queue.module';
import { RedisModule } from './core/redis/redis.module';
import { ShutdownModule } from './core/shutdown/shutdown.module';
import { closeIfStartFails } from './core/startup/startup-scope';
import { HealthModule } from './health/health.module';
import { MetricsModule } from './metrics/metrics.module';
import { ModelsModule } from './models/models.module';
import { OpenAiModule } from './openai/openai.module';
import { SessionsModule } from './sessions/sessions.module';
import { SkillsModule } from './skills/skills.module';
import { QuotaModule } from './usage/quota.module';
import { UsageModule } from './usage/usage.module';
import { UsersModule } from './users/users.module';
import { WebhooksModule } from './webhooks/webhooks.module';

@Module({})
export class AppModule {
  /** Every role gets health checks; the HTTP API's modules only where ROLE serves it. */
  static forRoot(env: Env): DynamicModule {
    const api = env.ROLE !== 'worker';
    const worker = env.ROLE !== 'api';
    return {
      module: AppModule,
      imports: [
        EnvModule.forRoot(env),
        loggingModule(env),
        ShutdownModule,
        TypeOrmModule.forRootAsync({
          useFactory: () => ({
            autoLoadEntities: true,
            retryAttempts: 0,
            ...dataSourceOptions(env),
          }),
          dataSourceFactory: async (options) => {
            const dataSource = await new DataSource(options!).initialize();
            bindSqliteNumbers(dataSource);
            // A PostgreSQL pool would otherwise outlive an app that fails to build.
            closeIfStartFails(() => dataSource.destroy());
            if (env.DB_MIGRATE) await runMigrationsLocked(dataSource, migrationWait);
            return dataSource;
          },
        }),
        RedisModule,
        // Express tries routes in the order modules register them: the chat and completion routes,
        // which carry nearly all requests, first (each route tried before costs every request a match).
        ...(api ? [ChatModule, OpenAiModule] : []),
        HealthModule,
        QueueModule,
        MetricsModule.forRole({ api }),
        // Webhooks subscribe to every event; producers see only core/events.
        EventsModule.forRoot({ sink: WebhooksModule.forRole({ api, worker }) }),
        SkillsModule.forRole({ api, worker }),
        ...(api
          ? [
              UsersModule,
              AuthModule,
              ModelsModule,
              AppConfigModule,
              SessionsModule,
              UsageModule,
              QuotaModule,
              AdminConsoleModule.forRoot(),
            ]
          : []),
      ],
      providers: [
        { provide: APP_FILTER, useClass: AllExceptionsFilter },
        { provide: APP_PIPE, useClass: AppValidationPipe },
        { provide: APP_GUARD, useClass: RequestBodyGuard },
        // A worker serves only the public health routes, so it has no guard to satisfy.
        ...(api ? [{ provide: APP_GUARD, useClass: AuthGuard }] : []),
      ],
    };
  }
}
