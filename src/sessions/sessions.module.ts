import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';

import { ModelsModule } from '../models/models.module';
import { MessageEntity } from './entities/message.entity';
import { SessionEntity } from './entities/session.entity';
import { MessagesController, SessionsController } from './sessions.controller';
import { SessionsService } from './sessions.service';

@Module({
  imports: [TypeOrmModule.forFeature([SessionEntity, MessageEntity]), ModelsModule],
  controllers: [SessionsController, MessagesController],
  providers: [SessionsService],
  exports: [SessionsService],
})
export class SessionsModule {}
