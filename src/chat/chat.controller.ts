import { Body, Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiExtraModels, ApiOkResponse } from '@nestjs/swagger';
import type { Request, Response } from 'express';

import { CurrentUser } from '../core/auth/current-user.decorator';
import type { Principal } from '../core/auth/principal';
import { ChatRateLimit } from '../core/auth/rate-limit.decorator';
import { ApiErrors } from '../core/errors/api-errors.decorator';
import { clientGone } from '../core/http/client-gone';
import { ChatService } from './chat.service';
import { ChatStreamService } from './chat-stream.service';
import { ChatRequestDto } from './dto/chat-request.dto';
import { ChatResponseDto } from './dto/chat-response.dto';
import { ChatStreamChunkDto, ChatStreamUsageDto } from './dto/chat-stream-events.dto';

/** What both chat routes answer before a reply starts, besides the errors every route shares. */
const CHAT_ERRORS = {
  403:
    'FORBIDDEN: the account is disabled; MODEL_NOT_ALLOWED: the API key may use only the models ' +
    'in its `models`',
  404:
    'SESSION_NOT_FOUND: `session_id` is unknown or not yours; MODEL_NOT_FOUND: the model is ' +
    'unknown or its provider is not configured',
  429:
    'RATE_LIMIT: over the per-credential limit; QUOTA_EXCEEDED: a quota of the user or key is used ' +
    'up (`details: {limit, used, resets_at}`); either way, retry after `Retry-After` seconds',
  502: 'UPSTREAM_ERROR: the model provider failed or refused',
  503:
    'SERVICE_UNAVAILABLE: the database is unreachable, Redis is and the caller has a quota, or ' +
    'the server is shutting down',
  504: 'UPSTREAM_TIMEOUT: the model provider did not answer within UPSTREAM_TIMEOUT_MS',
};

const STREAM_EVENTS = [
  'Server-Sent Events, opened once the provider has sent the first chunk of the reply: an error',
  'before that is an ordinary JSON error response. The `X-Session-Id` header names the session.',
  'Events, in order:',
  '',
  '- `data: {"text": "…"}` (ChatStreamChunkDto) for each chunk of the reply;',
  '- `event: usage`, `data: {"session_id", "message_id", "tokens": {"input", "output"}}`',
  '  (ChatStreamUsageDto) once the reply is complete and stored;',
  '- or instead `event: error`, `data: {"error": {"code", "message", "details"}}` (ErrorEnvelopeDto)',
  '  when the reply broke off (UPSTREAM_ERROR, UPSTREAM_TIMEOUT, …), could not be stored',
  '  (SERVICE_UNAVAILABLE: the database is down) or was still running at the shutdown deadline',
  '  (SERVICE_UNAVAILABLE, `details.message_id` naming the stored partial reply);',
  '  a partial reply is kept as an incomplete message;',
  '- `data: [DONE]` last, always.',
  '',
  'Comment lines (`: ping`) every SSE_PING_INTERVAL_MS keep proxies from closing the connection.',
].join('\n');

const STREAM_EXAMPLE =
  'data: {"text":"Hel"}\n\n' +
  'data: {"text":"lo!"}\n\n' +
  'event: usage\n' +
  'data: {"session_id":"3f0c…","message_id":"9b1e…","tokens":{"input":12,"output":3}}\n\n' +
  'data: [DONE]\n\n';

@Controller('chat')
@ChatRateLimit()
export class ChatController {
  constructor(
    private readonly chat: ChatService,
    private readonly streams: ChatStreamService,
  ) {}

  @Post()
  @HttpCode(200)
  @ApiErrors(CHAT_ERRORS)
  send(
    @CurrentUser() user: Principal,
    @Body() dto: ChatRequestDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<ChatResponseDto> {
    return this.chat.chat(user, dto, clientGone(res));
  }

  @Post('stream')
  @ApiOkResponse({
    description: STREAM_EVENTS,
    headers: {
      'X-Session-Id': {
        description: 'The session the turn is stored in',
        schema: { type: 'string' },
      },
    },
    content: {
      'text/event-stream': { schema: { type: 'string' }, example: STREAM_EXAMPLE },
    },
  })
  @ApiExtraModels(ChatStreamChunkDto, ChatStreamUsageDto)
  @ApiErrors(CHAT_ERRORS)
  stream(
    @CurrentUser() user: Principal,
    @Body() dto: ChatRequestDto,
    @Req() _req: Request,
    @Res() res: Response,
  ): Promise<void> {
    return this.streams.stream(user, dto, res, clientGone(res));
  }
}
