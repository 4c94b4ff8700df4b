import { Injectable } from '@nestjs/common';
import type { Response } from 'express';

import type { Principal } from '../core/auth/principal';
import { EnvService } from '../core/env/env.service';
import { toAppException } from '../core/errors/all-exceptions.filter';
import { AppException } from '../core/errors/app.exception';
import { ErrorCode } from '../core/errors/error-code';
import { ShutdownService } from '../core/shutdown/shutdown.service';
import { ChatService } from './chat.service';
import type { ChatRequestDto } from './dto/chat-request.dto';
import { SseWriter } from './sse-writer';

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
    private readonly shutdown: ShutdownService,
    env: EnvService,
  ) {
    this.pingMs = env.get('SSE_PING_INTERVAL_MS');
  }

  async stream(
    user: Principal,
    dto: ChatRequestDto,
    res: Response,
    clientGone: AbortSignal,
  ): Promise<void> {
    const turn = await this.chat.prepare(user, dto);
    // At the shutdown deadline a stream ends the way a departing client's does, but the client is told.
    const signal = AbortSignal.any([clientGone, this.shutdown.deadline]);
    const end = this.chat.metrics.upstreamDuration.startTimer({ model: turn.model.id });
    const stream = await this.chat.openStream(turn, signal).catch((err: unknown) => {
      end({ outcome: err instanceof AppException ? err.code.toLowerCase() : 'aborted' });
      throw this.shutdown.interruption(clientGone) ?? err;
    });
    const chunks = stream[Symbol.asyncIterator]();
    const first = await chunks.next().catch((err: unknown) => {
      throw this.shutdown.interruption(clientGone) ?? err;
    });
    if (signal.aborted) {
      // Stopped before the first byte: nothing was shown, so nothing is stored.
      await chunks.return?.(undefined);
      const error = this.shutdown.interruption(clientGone);
      if (error) throw error;
      return;
    }

    const sse = new SseWriter(res);
    sse.open({ 'X-Session-Id': turn.session.id }, this.pingMs);
    let reply = '';
    let failure: unknown;
    try {
      for (let next = first; !next.done; next = await chunks.next()) {
        reply += next.value;
        sse.data({ text: next.value });
      }
    } catch (err) {
      failure = err;
    }

    const complete = failure === undefined && !signal.aborted && stream.complete;
    const usage = stream.usage ?? this.chat.estimateUsage(turn, reply);
    end({ outcome: complete ? 'complete' : 'incomplete' });
    this.chat.metrics.countTokens(turn.model.id, usage);
    let stored;
    let unstored: AppException | undefined;
    try {
      stored = await this.chat.store(turn, reply, usage, complete ? 'complete' : 'incomplete');
    } catch (err) {
      this.chat.logStreamError(err);
      // Not the provider's fault: a database that is down is SERVICE_UNAVAILABLE, as on every route.
      unstored =
        toAppException(err)?.code === ErrorCode.SERVICE_UNAVAILABLE
          ? new AppException(ErrorCode.SERVICE_UNAVAILABLE, 'The reply could not be stored')
          : new AppException(ErrorCode.INTERNAL_ERROR);
    }
    if (failure !== undefined) this.chat.logStreamError(failure);

    if (complete && stored) {
      sse.event('usage', {
        session_id: turn.session.id,
        message_id: stored.assistantMessageId,
        tokens: usage,
      });
    } else if (!clientGone.aborted) {
      const error =
        this.shutdown.interruption(
          clientGone,
          stored ? { message_id: stored.assistantMessageId } : {},
        ) ??
        unstored ??
        (failure instanceof AppException
          ? failure
          : new AppException(ErrorCode.UPSTREAM_ERROR, 'The reply ended before it was complete'));
      sse.event('error', error.toBody());
    }
    sse.done();
  }
}
