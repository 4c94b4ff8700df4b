import { Controller, Get } from '@nestjs/common';

import { CurrentUser } from '../core/auth/current-user.decorator';
import { keyMayUse } from '../core/auth/key-models';
import type { Principal } from '../core/auth/principal';
import type { ModelListDto } from './dto/model-response.dto';
import { ModelRegistry } from './model-registry.service';

@Controller('models')
export class ModelsController {
  constructor(private readonly registry: ModelRegistry) {}

  /** The models usable now by this caller: a key limited to some `models` sees only those. */
  @Get()
  list(@CurrentUser() user: Principal): ModelListDto {
    return { data: this.registry.list().filter((m) => keyMayUse(user, m.id)) };
  }
}
