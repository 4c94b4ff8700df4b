import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';

import { CurrentUser } from '../core/auth/current-user.decorator';
import type { Principal } from '../core/auth/principal';
import { ErrorCode } from '../core/errors/error-code';
import { ListQueryDto } from '../core/http/list-query.dto';
import { ParseIdPipe } from '../core/http/parse-id.pipe';
import { ApiKeysService } from './api-keys.service';
import type { ApiKeyListDto, CreatedApiKeyResponseDto } from './dto/api-key-response.dto';
import { CreateApiKeyDto } from './dto/create-api-key.dto';

@Controller('api-keys')
export class ApiKeysController {
  constructor(private readonly apiKeys: ApiKeysService) {}

  @Post()
  create(
    @CurrentUser() user: Principal,
    @Body() dto: CreateApiKeyDto,
  ): Promise<CreatedApiKeyResponseDto> {
    return this.apiKeys.create(user.userId, dto);
  }

  @Get()
  list(@CurrentUser() user: Principal, @Query() query: ListQueryDto): Promise<ApiKeyListDto> {
    return this.apiKeys.list(user.userId, query);
  }

  @Delete(':id')
  @HttpCode(204)
  revoke(
    @CurrentUser() user: Principal,
    @Param('id', new ParseIdPipe(ErrorCode.API_KEY_NOT_FOUND)) id: string,
  ): Promise<void> {
    return this.apiKeys.revoke(user.userId, id);
  }
}
