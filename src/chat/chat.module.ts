import { Module } from '@nestjs/common';

import { AppConfigModule } from '../app-config/app-config.module';
import { CompletionsModule } from '../completions/completions.module';
import { ModelsModule } from '../models/models.module';
import { SessionsModule } from '../sessions/sessions.module';
import { ChatController } from './chat.controller';
import { ChatService } from './chat.service';
import { ChatStreamService } from './chat-stream.service';

@Module({
  imports: [SessionsModule, ModelsModule, AppConfigModule, CompletionsModule],
  controllers: [ChatController],
  providers: [ChatService, ChatStreamService],
})
export class ChatModule {}
