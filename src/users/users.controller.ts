import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Query } from '@nestjs/common';

import { CurrentUser } from '../core/auth/current-user.decorator';
import type { Principal } from '../core/auth/principal';
import { Roles } from '../core/auth/roles.decorator';
import { ApiErrors } from '../core/errors/api-errors.decorator';
import { ErrorCode } from '../core/errors/error-code';
import { ListQueryDto } from '../core/http/list-query.dto';
import { IdParam } from '../core/http/parse-id.pipe';
import { CreateUserDto } from './dto/create-user.dto';
import { UpdateUserDto } from './dto/update-user.dto';
import type { UserListDto, UserResponseDto } from './dto/user-response.dto';
import { UsersService } from './users.service';

@Controller('users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Post()
  @Roles('admin')
  @ApiErrors({ 409: 'CONFLICT: the email is taken' })
  create(@Body() dto: CreateUserDto): Promise<UserResponseDto> {
    return this.users.create(dto);
  }

  @Get()
  @Roles('admin')
  list(@Query() query: ListQueryDto): Promise<UserListDto> {
    return this.users.list(query);
  }

  @Get('me')
  me(@CurrentUser() actor: Principal): Promise<UserResponseDto> {
    return this.users.get(actor, actor.userId);
  }

  @Get(':id')
  get(
    @CurrentUser() actor: Principal,
    @IdParam('id', ErrorCode.USER_NOT_FOUND) id: string,
  ): Promise<UserResponseDto> {
    return this.users.get(actor, id);
  }

  /**
   * Users may change their own name, email and password (the last two with `current_password`);
   * admins anyone's, role, disabled and quota too. A password, email or role change or a disable revokes
   * the user's earlier JWTs.
   */
  @Patch(':id')
  @ApiErrors({
    400: 'VALIDATION_ERROR: a bad field, or `current_password` missing for a change of your own email or password',
    403: 'FORBIDDEN: a non-admin sending role, disabled or quota, or a wrong `current_password`',
    409: 'CONFLICT: the email is taken, or the change would leave no active admin',
  })
  update(
    @CurrentUser() actor: Principal,
    @IdParam('id', ErrorCode.USER_NOT_FOUND) id: string,
    @Body() dto: UpdateUserDto,
  ): Promise<UserResponseDto> {
    return this.users.update(actor, id, dto);
  }

  @Delete(':id')
  @Roles('admin')
  @HttpCode(204)
  @ApiErrors({ 409: 'CONFLICT: it is the last active admin' })
  remove(@IdParam('id', ErrorCode.USER_NOT_FOUND) id: string): Promise<void> {
    return this.users.remove(id);
  }
}
