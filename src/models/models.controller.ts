import { Controller, Get } from '@nestjs/common';

import type { ModelListDto } from './dto/model-response.dto';
import { ModelRegistry } from './model-registry.service';

@Controller('models')
export class ModelsController {
  constructor(private readonly registry: ModelRegistry) {}

  @Get()
  list(): ModelListDto {
    return { data: this.registry.list() };
  }
}
