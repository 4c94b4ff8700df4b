import { Module } from '@nestjs/common';

import { ModelsModule } from '../models/models.module';
import { OpenAiController } from './openai.controller';
import { OpenAiService } from './openai.service';

@Module({ imports: [ModelsModule], controllers: [OpenAiController], providers: [OpenAiService] })
export class OpenAiModule {}
