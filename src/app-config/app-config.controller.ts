import { Body, Controller, Get, Patch } from '@nestjs/common';

import { Roles } from '../core/auth/roles.decorator';
import { ApiErrors } from '../core/errors/api-errors.decorator';
import { AppConfigService } from './app-config.service';
import { ConfigResponseDto } from './dto/config-response.dto';
import { UpdateConfigDto } from './dto/update-config.dto';

@Controller('config')
export class AppConfigController {
  constructor(private readonly config: AppConfigService) {}

  @Get()
  get(): Promise<ConfigResponseDto> {
    return this.config.get();
  }

  @Patch()
  @Roles('admin')
  @ApiErrors({ 404: 'MODEL_NOT_FOUND: the model is unknown or its provider is not configured' })
  update(@Body() dto: UpdateConfigDto): Promise<ConfigResponseDto> {
    return this.config.update(dto);
  }
}
