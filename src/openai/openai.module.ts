import { Module } from '@nestjs/common';

import { AppConfigModule } from '../app-config/app-config.module';
import { CompletionsModule } from '../completions/completions.module';
import { ModelsModule } from '../models/models.module';
import { OpenAiController } from './openai.controller';
import { OpenAiService } from './openai.service';

@Module({
  imports: [ModelsModule, AppConfigModule, CompletionsModule],
  controllers: [OpenAiController],
  providers: [OpenAiService],
})
export class OpenAiModule {}
