import { randomUUID } from 'node:crypto';

import { Injectable, Logger } from '@nestjs/common';

import { AppConfigService } from '../app-config/app-config.service';
import type { CompletionEndpoint, CompletionRecord } from '../completions/completion-gate';
import type { CompletionSpec } from '../completions/completion-runner';
import { CompletionRunner } from '../completions/completion-runner';
import { assertKeyMayUse } from '../core/auth/key-models';
import type { Principal } from '../core/auth/principal';
import { EnvService } from '../core/env/env.service';
import { AppException } from '../core/errors/app.exception';
import type { CancelSignal } from '../core/http/cancellation';
import { storableText } from '../core/text/unicode';
import { ModelRegistry, ResolvedModel } from '../models/model-registry.service';
import type { ChatMessage, ChatRequest, TokenUsage } from '../models/provider.types';
import { SessionTurnsService, TurnToStore } from '../sessions/session-turns.service';
import type { ChatRequestDto } from './dto/chat-request.dto';
import type { ChatResponseDto } from './dto/chat-response.dto';

const SESSION_NAME_CHARS = 50;

/** Everything a turn needs, settled before the provider is called. */
export interface PreparedTurn {
  userId: string;
  session: TurnToStore['session'];
  model: ResolvedModel;
  prompt: string;
  request: Omit<ChatRequest, 'signal' | 'shutdown'>;
}

const SPACE = /\s/;

/**
 * The first SESSION_NAME_CHARS characters (code points) of the message with its runs of whitespace
 * made one space and its ends trimmed. Only the start of a message is read: it may be 100,000
 * characters long.
 */
export function sessionName(message: string): string {
  let name = '';
  let count = 0;
  let space = false;
  for (const ch of message) {
    if (SPACE.test(ch)) {
      space = count > 0;
      continue;
    }
    if (space) {
      if (++count > SESSION_NAME_CHARS) break;
      name += ' ';
      space = false;
    }
    if (++count > SESSION_NAME_CHARS) break;
    name += ch;
  }
  return name || 'New session';
}

@Injectable()
export class ChatService {
  private readonly logger = new Logger(ChatService.name);
  private readonly historyChars: number;

  constructor(
    private readonly sessions: SessionTurnsService,
    private readonly models: ModelRegistry,
    private readonly config: AppConfigService,
    private readonly runner: CompletionRunner,
    env: EnvService,
  ) {
    this.historyChars = env.get('CHAT_HISTORY_MAX_CHARS');
  }

  /**
   * Session, model, system prompt and history, in that order of checks: every error a caller
   * can cause is raised here, before anything is sent upstream or stored.
   */
  async prepare(user: Principal, dto: ChatRequestDto): Promise<PreparedTurn> {
    const existing =
      dto.session_id !== undefined
        ? await this.sessions.findOwned(user.userId, dto.session_id)
        : null;
    const config = await this.config.get();
    const modelId = dto.model ?? existing?.model ?? config.model;
    assertKeyMayUse(user, modelId);
    const model = this.models.resolve(modelId);
    const messages: ChatMessage[] = [];
    if (config.system_prompt) messages.push({ role: 'system', content: config.system_prompt });
    if (existing) messages.push(...(await this.sessions.history(existing.id, this.historyChars)));
    messages.push({ role: 'user', content: dto.message });
    return {
      userId: user.userId,
      session: existing
        ? { id: existing.id, isNew: false }
        : {
            id: randomUUID(),
            isNew: true,
            name: sessionName(dto.message),
            model: dto.model ?? null,
          },
      model,
      prompt: dto.message,
      request: {
        model: model.id,
        messages,
        temperature: dto.temperature ?? config.temperature,
        maxTokens: config.max_tokens,
      },
    };
  }

  async chat(
    user: Principal,
    dto: ChatRequestDto,
    clientGone: CancelSignal,
  ): Promise<ChatResponseDto> {
    const turn = await this.prepare(user, dto);
    const call = await this.runner.complete(
      this.completion(user, turn, '/api/v1/chat', clientGone),
    );
    // A provider's reply is answered as it is stored (callers' text is refused for these at the door).
    const content = storableText(call.result.content);
    const usage = call.result.usage;
    let stored;
    try {
      stored = await this.store(turn, content, usage, 'complete', call.record());
    } catch (err) {
      await call.settle(false);
      throw err;
    }
    await call.settle(true);
    return {
      response: content,
      session_id: turn.session.id,
      message_id: stored.assistantMessageId,
      model: turn.model.id,
      tokens: usage,
    };
  }

  /** The provider call of a prepared turn, as the completion runner takes it. */
  completion(
    user: Principal,
    turn: PreparedTurn,
    endpoint: CompletionEndpoint,
    clientGone: CancelSignal,
  ): CompletionSpec {
    return { principal: user, endpoint, model: turn.model, request: turn.request, clientGone };
  }

  /**
   * The turn with its reply (as storableText gives it), and the call's usage record written in the
   * same transaction.
   */
  store(
    turn: PreparedTurn,
    reply: string,
    usage: TokenUsage,
    status: 'complete' | 'incomplete',
    record: CompletionRecord | null,
  ) {
    return this.sessions.storeTurn({
      userId: turn.userId,
      session: turn.session,
      prompt: turn.prompt,
      reply,
      model: turn.model.id,
      usage,
      status,
      record,
    });
  }

  /** A turn whose stream was answered but could not be stored. */
  logUnstored(err: unknown): void {
    if (err instanceof AppException)
      this.logger.warn(`Turn not stored: ${err.code} ${err.message}`);
    else
      this.logger.error(
        `Turn not stored: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
      );
  }
}
