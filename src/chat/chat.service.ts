import { randomUUID } from 'node:crypto';

import { Injectable, Logger } from '@nestjs/common';

import { AppConfigService } from '../app-config/app-config.service';
import type { Principal } from '../core/auth/principal';
import { EnvService } from '../core/env/env.service';
import { AppException } from '../core/errors/app.exception';
import { ShutdownService } from '../core/shutdown/shutdown.service';
import { MetricsService } from '../metrics/metrics.service';
import { ModelRegistry, ResolvedModel } from '../models/model-registry.service';
import type { ChatMessage, ChatRequest, ChatStream, TokenUsage } from '../models/provider.types';
import { countPromptTokens, countTokens } from '../models/tokenizer';
import { SessionTurnsService, TurnToStore } from '../sessions/session-turns.service';
import type { ChatRequestDto, ChatResponseDto } from './dto/chat-request.dto';

const SESSION_NAME_CHARS = 50;

/** Everything a turn needs, settled before the provider is called. */
export interface PreparedTurn {
  userId: string;
  session: TurnToStore['session'];
  model: ResolvedModel;
  prompt: string;
  request: Omit<ChatRequest, 'signal'>;
}

function sessionName(message: string): string {
  const flat = message.replace(/\s+/g, ' ').trim();
  return Array.from(flat).slice(0, SESSION_NAME_CHARS).join('') || 'New session';
}

@Injectable()
export class ChatService {
  private readonly logger = new Logger(ChatService.name);
  private readonly historyChars: number;

  constructor(
    private readonly sessions: SessionTurnsService,
    private readonly models: ModelRegistry,
    private readonly config: AppConfigService,
    readonly metrics: MetricsService,
    private readonly shutdown: ShutdownService,
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
    const model = this.models.resolve(dto.model ?? existing?.model ?? config.model);
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
    clientGone: AbortSignal,
  ): Promise<ChatResponseDto> {
    const turn = await this.prepare(user, dto);
    const end = this.metrics.upstreamDuration.startTimer({ model: turn.model.id });
    // At the shutdown deadline the caller gets a 503 rather than a dropped connection.
    const signal = AbortSignal.any([clientGone, this.shutdown.deadline]);
    let result;
    try {
      result = await turn.model.provider.complete({ ...turn.request, signal });
    } catch (err) {
      end({ outcome: err instanceof AppException ? err.code.toLowerCase() : 'aborted' });
      throw this.shutdown.interruption(clientGone) ?? err;
    }
    end({ outcome: 'complete' });
    this.metrics.countTokens(turn.model.id, result.usage);
    const stored = await this.store(turn, result.content, result.usage, 'complete');
    return {
      response: result.content,
      session_id: turn.session.id,
      message_id: stored.assistantMessageId,
      model: turn.model.id,
      tokens: result.usage,
    };
  }

  openStream(turn: PreparedTurn, signal: AbortSignal): Promise<ChatStream> {
    return turn.model.provider.stream({ ...turn.request, signal });
  }

  /** Usage for a reply that ended early: the provider's if it sent it, else counted here. */
  estimateUsage(turn: PreparedTurn, reply: string): TokenUsage {
    return { input: countPromptTokens(turn.request.messages), output: countTokens(reply) };
  }

  store(turn: PreparedTurn, reply: string, usage: TokenUsage, status: 'complete' | 'incomplete') {
    return this.sessions.storeTurn({
      userId: turn.userId,
      session: turn.session,
      prompt: turn.prompt,
      reply,
      model: turn.model.id,
      usage,
      status,
    });
  }

  logStreamError(err: unknown): void {
    if (err instanceof AppException)
      this.logger.warn(`Stream ended early: ${err.code} ${err.message}`);
    else
      this.logger.error(
        `Stream failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
      );
  }
}
