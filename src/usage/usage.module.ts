import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';

import { UsageRecordEntity } from './entities/usage-record.entity';
import { UsageController } from './usage.controller';
import { UsageService } from './usage.service';
import { UsageRecordsRepository } from './usage-records.repository';

@Module({
  imports: [TypeOrmModule.forFeature([UsageRecordEntity])],
  controllers: [UsageController],
  providers: [UsageService, UsageRecordsRepository],
  exports: [UsageRecordsRepository],
})
export class UsageModule {}
