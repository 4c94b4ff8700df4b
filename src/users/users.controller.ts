import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';

import { CurrentUser } from '../core/auth/current-user.decorator';
import type { Principal } from '../core/auth/principal';
import { Roles } from '../core/auth/roles.decorator';
import { ErrorCode } from '../core/errors/error-code';
import { ListQueryDto, Page } from '../core/http/list-query.dto';
import { ParseIdPipe } from '../core/http/parse-id.pipe';
import { CreateUserDto } from './dto/create-user.dto';
import { UpdateUserDto } from './dto/update-user.dto';
import type { UserResponseDto } from './dto/user-response.dto';
import { UsersService } from './users.service';

const UserId = () => Param('id', new ParseIdPipe(ErrorCode.USER_NOT_FOUND));

@Controller('users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Post()
  @Roles('admin')
  create(@Body() dto: CreateUserDto): Promise<UserResponseDto> {
    return this.users.create(dto);
  }

  @Get()
  @Roles('admin')
  list(@Query() query: ListQueryDto): Promise<Page<UserResponseDto>> {
    return this.users.list(query);
  }

  @Get('me')
  me(@CurrentUser() actor: Principal): Promise<UserResponseDto> {
    return this.users.get(actor, actor.userId);
  }

  @Get(':id')
  get(@CurrentUser() actor: Principal, @UserId() id: string): Promise<UserResponseDto> {
    return this.users.get(actor, id);
  }

  @Patch(':id')
  update(
    @CurrentUser() actor: Principal,
    @UserId() id: string,
    @Body() dto: UpdateUserDto,
  ): Promise<UserResponseDto> {
    return this.users.update(actor, id, dto);
  }

  @Delete(':id')
  @Roles('admin')
  @HttpCode(204)
  remove(@UserId() id: string): Promise<void> {
    return this.users.remove(id);
  }
}
