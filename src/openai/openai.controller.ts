import { Body, Controller, Get, HttpCode, Param, Post, Res } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';

import { CurrentUser } from '../core/auth/current-user.decorator';
import type { Principal } from '../core/auth/principal';
import { ChatRateLimit } from '../core/auth/rate-limit.decorator';
import { clientGone } from '../core/http/client-gone';
import { sendJson } from '../core/http/json-replies';
import { ChatCompletionRequestDto } from './dto/chat-completion-request.dto';
import { ChatCompletionDto } from './dto/chat-completion-response.dto';
import { OpenAiModelDto, OpenAiModelListDto } from './dto/openai-model.dto';
import { OpenAiService } from './openai.service';

/**
 * OpenAI's own routes, outside /api/v1, so OpenAI's clients work with `baseURL: http://host:3000/v1`.
 * Same API keys and JWTs, same rate limits; errors in OpenAI's envelope.
 */
@ApiTags('OpenAI-compatible')
@Controller('v1')
export class OpenAiController {
  constructor(private readonly openai: OpenAiService) {}

  @Post('chat/completions')
  @HttpCode(200)
  @ChatRateLimit()
  @ApiBody({ type: ChatCompletionRequestDto })
  @ApiProduces('application/json', 'text/event-stream')
  @ApiOkResponse({
    type: ChatCompletionDto,
    description:
      'A `chat.completion`; with `stream: true`, `text/event-stream` of `chat.completion.chunk` objects ending in `data: [DONE]`',
  })
  async completions(
    @CurrentUser() user: Principal,
    @Body() dto: ChatCompletionRequestDto,
    @Res() res: Response,
  ): Promise<void> {
    if (dto.stream) return this.openai.stream(user, dto, res, clientGone(res));
    const completion = await this.openai.complete(user, dto, clientGone(res));
    if (!sendJson(res, completion, 200)) res.status(200).json(completion);
  }

  @Get('models')
  listModels(@CurrentUser() user: Principal): OpenAiModelListDto {
    return this.openai.listModels(user);
  }

  @Get('models/:id')
  getModel(@CurrentUser() user: Principal, @Param('id') id: string): OpenAiModelDto {
    return this.openai.getModel(user, id);
  }
}
