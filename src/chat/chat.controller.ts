import { Body, Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';

import { CurrentUser } from '../core/auth/current-user.decorator';
import type { Principal } from '../core/auth/principal';
import { ChatRateLimit } from '../core/auth/rate-limit.decorator';
import { ChatService } from './chat.service';
import { ChatStreamService } from './chat-stream.service';
import { ChatRequestDto, ChatResponseDto } from './dto/chat-request.dto';

/** Aborts when the client closes the connection before the answer is complete. */
export function clientGone(res: Response): AbortSignal {
  const controller = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  return controller.signal;
}

@Controller('chat')
@ChatRateLimit()
export class ChatController {
  constructor(
    private readonly chat: ChatService,
    private readonly streams: ChatStreamService,
  ) {}

  @Post()
  @HttpCode(200)
  send(
    @CurrentUser() user: Principal,
    @Body() dto: ChatRequestDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<ChatResponseDto> {
    return this.chat.chat(user, dto, clientGone(res));
  }

  @Post('stream')
  stream(
    @CurrentUser() user: Principal,
    @Body() dto: ChatRequestDto,
    @Req() _req: Request,
    @Res() res: Response,
  ): Promise<void> {
    return this.streams.stream(user, dto, res, clientGone(res));
  }
}
