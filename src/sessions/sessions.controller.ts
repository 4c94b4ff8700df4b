import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';

import { CurrentUser } from '../core/auth/current-user.decorator';
import type { Principal } from '../core/auth/principal';
import { ApiErrors } from '../core/errors/api-errors.decorator';
import { ErrorCode } from '../core/errors/error-code';
import { ListQueryDto } from '../core/http/list-query.dto';
import { ParseIdPipe } from '../core/http/parse-id.pipe';
import { CreateSessionDto } from './dto/create-session.dto';
import { MessageListDto } from './dto/message-response.dto';
import { SessionListDto, SessionResponseDto } from './dto/session-response.dto';
import { UpdateSessionDto } from './dto/update-session.dto';
import { SessionsService } from './sessions.service';

const SessionId = () => Param('id', new ParseIdPipe(ErrorCode.SESSION_NOT_FOUND));

@Controller('sessions')
export class SessionsController {
  constructor(private readonly sessions: SessionsService) {}

  @Post()
  @ApiErrors({ 404: 'MODEL_NOT_FOUND: the model is unknown or its provider is not configured' })
  create(
    @CurrentUser() user: Principal,
    @Body() dto: CreateSessionDto,
  ): Promise<SessionResponseDto> {
    return this.sessions.create(user.userId, dto);
  }

  @Get()
  list(@CurrentUser() user: Principal, @Query() query: ListQueryDto): Promise<SessionListDto> {
    return this.sessions.list(user.userId, query);
  }

  @Get(':id')
  get(@CurrentUser() user: Principal, @SessionId() id: string): Promise<SessionResponseDto> {
    return this.sessions.get(user.userId, id);
  }

  @Patch(':id')
  @ApiErrors({ 404: 'SESSION_NOT_FOUND, or MODEL_NOT_FOUND for a model that is not usable' })
  update(
    @CurrentUser() user: Principal,
    @SessionId() id: string,
    @Body() dto: UpdateSessionDto,
  ): Promise<SessionResponseDto> {
    return this.sessions.update(user.userId, id, dto);
  }

  @Delete(':id')
  @HttpCode(204)
  remove(@CurrentUser() user: Principal, @SessionId() id: string): Promise<void> {
    return this.sessions.remove(user.userId, id);
  }

  @Get(':id/messages')
  messages(
    @CurrentUser() user: Principal,
    @SessionId() id: string,
    @Query() query: ListQueryDto,
  ): Promise<MessageListDto> {
    // The rows' `created_at` is already the ISO text a Date would be serialized to.
    return this.sessions.listMessages(
      user.userId,
      id,
      query,
    ) as Promise<unknown> as Promise<MessageListDto>;
  }
}

@Controller('messages')
export class MessagesController {
  constructor(private readonly sessions: SessionsService) {}

  @Delete(':id')
  @HttpCode(204)
  remove(
    @CurrentUser() user: Principal,
    @Param('id', new ParseIdPipe(ErrorCode.MESSAGE_NOT_FOUND)) id: string,
  ): Promise<void> {
    return this.sessions.removeMessage(user.userId, id);
  }
}
