import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';

import { ModelsModule } from '../models/models.module';
import { UsageModule } from '../usage/usage.module';
import { MessageEntity } from './entities/message.entity';
import { SessionEntity } from './entities/session.entity';
import { SessionTurnsService } from './session-turns.service';
import { MessagesController, SessionsController } from './sessions.controller';
import { SessionsRepository } from './sessions.repository';
import { SessionsService } from './sessions.service';

@Module({
  imports: [TypeOrmModule.forFeature([SessionEntity, MessageEntity]), ModelsModule, UsageModule],
  controllers: [SessionsController, MessagesController],
  providers: [SessionsRepository, SessionsService, SessionTurnsService],
  // Chat continues sessions and stores its turns through this one.
  exports: [SessionTurnsService],
})
export class SessionsModule {}
