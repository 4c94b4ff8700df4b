import { Controller, Get } from '@nestjs/common';

import { ModelInfo, ModelRegistry } from './model-registry.service';

@Controller('models')
export class ModelsController {
  constructor(private readonly registry: ModelRegistry) {}

  @Get()
  list(): { data: ModelInfo[] } {
    return { data: this.registry.list() };
  }
}
