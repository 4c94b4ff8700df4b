import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';

import { UsageRecordEntity } from './entities/usage-record.entity';
import { UsageRecordsRepository } from './usage-records.repository';

@Module({
  imports: [TypeOrmModule.forFeature([UsageRecordEntity])],
  providers: [UsageRecordsRepository],
  exports: [UsageRecordsRepository],
})
export class UsageModule {}
