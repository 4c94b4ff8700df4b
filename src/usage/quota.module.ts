import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';

import { AppConfigModule } from '../app-config/app-config.module';
import { COMPLETION_GATE } from '../completions/completion-gate';
import { QUOTA_LIMIT_CHANGES } from '../core/auth/user-quota';
import { ModelsModule } from '../models/models.module';
import { Clock } from './clock';
import { QuotaAlertEntity } from './entities/quota-alert.entity';
import { QuotaService } from './quota.service';
import { QuotaAlerts } from './quota-alerts';
import { QuotaAlertsRepository } from './quota-alerts.repository';
import { QuotaCounterResets } from './quota-counter-resets';
import { QuotaCounters } from './quota-counters';
import { UsageModule } from './usage.module';

/**
 * Quotas as the completion gate: global, so the completion runner finds COMPLETION_GATE wherever
 * it is used without importing usage/.
 */
@Global()
@Module({
  imports: [
    TypeOrmModule.forFeature([QuotaAlertEntity]),
    UsageModule,
    AppConfigModule,
    ModelsModule,
  ],
  providers: [
    Clock,
    QuotaCounters,
    QuotaCounterResets,
    QuotaAlertsRepository,
    QuotaAlerts,
    QuotaService,
    { provide: COMPLETION_GATE, useExisting: QuotaService },
    { provide: QUOTA_LIMIT_CHANGES, useExisting: QuotaCounterResets },
  ],
  exports: [COMPLETION_GATE, QUOTA_LIMIT_CHANGES, Clock, QuotaService],
})
export class QuotaModule {}
