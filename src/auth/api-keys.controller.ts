import { Body, Controller, Delete, Get, HttpCode, Post, Query } from '@nestjs/common';

import { CurrentUser } from '../core/auth/current-user.decorator';
import type { Principal } from '../core/auth/principal';
import { ApiErrors } from '../core/errors/api-errors.decorator';
import { ErrorCode } from '../core/errors/error-code';
import { IdParam } from '../core/http/parse-id.pipe';
import { ApiKeysService } from './api-keys.service';
import type { ApiKeyListDto, CreatedApiKeyResponseDto } from './dto/api-key-response.dto';
import { CreateApiKeyDto } from './dto/create-api-key.dto';
import { ListApiKeysQueryDto } from './dto/list-api-keys-query.dto';

@Controller('api-keys')
export class ApiKeysController {
  constructor(private readonly apiKeys: ApiKeysService) {}

  @Post()
  @ApiErrors({
    400: 'VALIDATION_ERROR: a bad field, or a `models` entry that is not a model of GET /api/v1/models',
    409: 'CONFLICT: MAX_API_KEYS_PER_USER active keys already',
  })
  create(
    @CurrentUser() user: Principal,
    @Body() dto: CreateApiKeyDto,
  ): Promise<CreatedApiKeyResponseDto> {
    return this.apiKeys.create(user.userId, dto);
  }

  /** Own keys; admins may pass `user_id` for another user's (anyone else: 403 FORBIDDEN). */
  @Get()
  @ApiErrors({
    403: 'FORBIDDEN: `user_id` given by a non-admin',
    404: 'USER_NOT_FOUND: no user with `user_id`',
  })
  list(
    @CurrentUser() user: Principal,
    @Query() query: ListApiKeysQueryDto,
  ): Promise<ApiKeyListDto> {
    return this.apiKeys.list(user, query);
  }

  /** Own keys; admins may revoke anyone's. */
  @Delete(':id')
  @HttpCode(204)
  revoke(
    @CurrentUser() user: Principal,
    @IdParam('id', ErrorCode.API_KEY_NOT_FOUND) id: string,
  ): Promise<void> {
    return this.apiKeys.revoke(user, id);
  }
}
