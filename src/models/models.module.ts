import { Module } from '@nestjs/common';

import { ModelPrices } from './model-prices';
import { ModelRegistry } from './model-registry.service';
import { ModelsController } from './models.controller';

@Module({
  controllers: [ModelsController],
  providers: [ModelRegistry, ModelPrices],
  exports: [ModelRegistry, ModelPrices],
})
export class ModelsModule {}
