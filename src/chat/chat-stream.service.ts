import { Injectable } from '@nestjs/common';
import type { Response } from 'express';

import { CompletionRunner } from '../completions/completion-runner';
import type { Principal } from '../core/auth/principal';
import { EnvService } from '../core/env/env.service';
import { toAppException } from '../core/errors/all-exceptions.filter';
import { AppException } from '../core/errors/app.exception';
import { ErrorCode } from '../core/errors/error-code';
import type { CancelSignal } from '../core/http/cancellation';
import { SseWriter } from '../core/http/sse-writer';
import { storableText } from '../core/text/unicode';
import { ChatService } from './chat.service';
import type { ChatRequestDto } from './dto/chat-request.dto';

/**
 * POST /chat/stream (SPEC §6). Errors before the first chunk are ordinary JSON errors, so the
 * response is only opened once the provider has produced one; after that, errors are events
 * and whatever was sent is stored as an incomplete turn.
 */
@Injectable()
export class ChatStreamService {
  private readonly pingMs: number;

  constructor(
    private readonly chat: ChatService,
    private readonly runner: CompletionRunner,
    env: EnvService,
  ) {
    this.pingMs = env.get('SSE_PING_INTERVAL_MS');
  }

  async stream(
    user: Principal,
    dto: ChatRequestDto,
    res: Response,
    clientGone: CancelSignal,
  ): Promise<void> {
    const turn = await this.chat.prepare(user, dto);
    const run = await this.runner.stream(
      this.chat.completion(user, turn, '/api/v1/chat/stream', clientGone),
    );
    if (!run) return;

    const sse = new SseWriter(res);
    sse.open({ 'X-Session-Id': turn.session.id }, this.pingMs);
    let reply = '';
    let failure: unknown;
    try {
      for (let next = run.first; !next.done; next = await run.chunks.next()) {
        reply += next.value;
        sse.data({ text: next.value });
      }
    } catch (err) {
      failure = err;
    }

    const { complete, usage } = run.finish(reply, failure);
    let stored;
    let unstored: AppException | undefined;
    try {
      stored = await this.chat.store(
        turn,
        storableText(reply),
        usage,
        complete ? 'complete' : 'incomplete',
        run.record(),
      );
    } catch (err) {
      this.chat.logUnstored(err);
      // Not the provider's fault: a database that is down is SERVICE_UNAVAILABLE, as on every route.
      unstored =
        toAppException(err)?.code === ErrorCode.SERVICE_UNAVAILABLE
          ? new AppException(ErrorCode.SERVICE_UNAVAILABLE, 'The reply could not be stored')
          : new AppException(ErrorCode.INTERNAL_ERROR);
    }
    await run.settle(stored !== undefined);

    if (complete && stored) {
      sse.event('usage', {
        session_id: turn.session.id,
        message_id: stored.assistantMessageId,
        tokens: usage,
      });
    } else if (!clientGone.aborted) {
      const error =
        run.interruption(stored ? { message_id: stored.assistantMessageId } : {}) ??
        unstored ??
        run.breakage();
      sse.event('error', error.toBody());
    }
    sse.done();
  }
}
