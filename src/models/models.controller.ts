import { Controller, Get } from '@nestjs/common';

import { CurrentUser } from '../core/auth/current-user.decorator';
import type { Principal } from '../core/auth/principal';
import type { ModelListDto } from './dto/model-response.dto';
import { ModelRegistry } from './model-registry.service';

@Controller('models')
export class ModelsController {
  constructor(private readonly registry: ModelRegistry) {}

  /** The models usable now by this caller (ModelRegistry.listFor). */
  @Get()
  list(@CurrentUser() user: Principal): ModelListDto {
    return { data: this.registry.listFor(user) };
  }
}
