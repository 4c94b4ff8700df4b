import { randomUUID } from 'node:crypto';

import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

import type { CompletionRecord } from '../completions/completion-gate';
import { AppException } from '../core/errors/app.exception';
import { ErrorCode } from '../core/errors/error-code';
import type { EventType } from '../core/events/event-catalogue';
import { EventsService } from '../core/events/events.service';
import { isUuid } from '../core/http/parse-id.pipe';
import type { ChatMessage, TokenUsage } from '../models/provider.types';
import { UsageRecordsRepository } from '../usage/usage-records.repository';
import type { SessionResponseDto } from './dto/session-response.dto';
import type { MessageStatus } from './entities/message.entity';
import { toMessageDto, toSessionDto } from './sessions.mapper';
import { SessionsRepository, TurnMessage, TurnSession } from './sessions.repository';

// The newest messages are read first and stop at the character budget; this caps the read.
const HISTORY_ROWS = 200;

export interface TurnToStore {
  userId: string;
  /** An existing session, or a new one created with the turn. */
  session: TurnSession;
  prompt: string;
  reply: string;
  model: string;
  usage: TokenUsage;
  status: MessageStatus;
  /** The provider call's usage record, written with the turn (SPEC §13). */
  record?: CompletionRecord | null;
}

export interface StoredTurn {
  userMessageId: string;
  assistantMessageId: string;
}

/** A chat turn's side of a session: the session it continues, its history, storing the turn. */
@Injectable()
export class SessionTurnsService {
  constructor(
    private readonly repo: SessionsRepository,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly events: EventsService,
    private readonly usage: UsageRecordsRepository,
  ) {}

  /**
   * The caller's session, or 404 SESSION_NOT_FOUND for a malformed, unknown or foreign id (it comes
   * in a request body, past no id pipe).
   */
  async findOwned(userId: string, id: string): Promise<SessionResponseDto> {
    const session = isUuid(id) ? await this.repo.findOwnedForTurn(userId, id.toLowerCase()) : null;
    if (!session) throw new AppException(ErrorCode.SESSION_NOT_FOUND);
    return toSessionDto(session);
  }

  /** The latest messages that fit in the budget, oldest first. */
  async history(sessionId: string, maxChars: number): Promise<ChatMessage[]> {
    if (maxChars <= 0) return [];
    const rows = await this.repo.latestMessages(sessionId, HISTORY_ROWS);
    const picked: ChatMessage[] = [];
    let used = 0;
    for (const row of rows) {
      used += row.content.length;
      if (used > maxChars) break;
      picked.push({ role: row.role, content: row.content });
    }
    return picked.reverse();
  }

  /**
   * Stores a finished turn, all or nothing. The session row's counter hands out the two sequence
   * numbers under its row lock, so concurrent turns never interleave or collide; the same update
   * counts the two messages.
   */
  async storeTurn(turn: TurnToStore): Promise<StoredTurn> {
    const now = new Date();
    const [question, answer] = turnMessages(turn, now);
    const stored = { userMessageId: question.id, assistantMessageId: answer.id };
    if (await this.storesAtOnce(turn)) {
      const { userId, session, record = null } = turn;
      if (!(await this.repo.insertTurnAtOnce(userId, session, [question, answer], now, record)))
        // The session was deleted while the reply was being written.
        throw new AppException(ErrorCode.SESSION_NOT_FOUND);
      return stored;
    }
    await this.events.transaction(this.dataSource, async (tx, emit) => {
      const audience = { userId: turn.userId };
      const { session } = turn;
      let last: number | null = 2;
      if (session.isNew) {
        await this.repo.insertSession(tx, {
          id: session.id,
          userId: turn.userId,
          name: session.name,
          model: session.model,
          lastSeq: 2,
          messageCount: 2,
          createdAt: now,
          updatedAt: now,
        });
        await emit('session.created', audience, {
          id: session.id,
          name: session.name,
          model: session.model,
          created_at: now,
          updated_at: now,
        });
      } else {
        last = await this.repo.reserveSeqs(tx, session.id, now);
        if (last === null) throw new AppException(ErrorCode.SESSION_NOT_FOUND);
      }
      const messages = [
        { seq: last - 1, ...question },
        { seq: last, ...answer },
      ];
      await this.repo.insertMessages(tx, messages);
      if (turn.record) await this.usage.insert(turn.record, tx);
      for (const message of messages)
        await emit('message.created', audience, toMessageDto(message));
    });
    return stored;
  }

  /** A turn no webhook listens to skips the unit of work where the database can do it in one statement. */
  private async storesAtOnce(turn: TurnToStore): Promise<boolean> {
    if (!this.repo.storesTurnAtOnce) return false;
    const emits: EventType[] = turn.session.isNew
      ? ['message.created', 'session.created']
      : ['message.created'];
    return !(await this.events.hasListeners(emits, { userId: turn.userId }));
  }
}

/**
 * The user's message and the reply, with fresh ids. Written out in full: a shared part spread into
 * each took 2 % of a turn's CPU on Node 20 (see spreadChecks() in eslint.config.mjs).
 */
function turnMessages(turn: TurnToStore, now: Date): [TurnMessage, TurnMessage] {
  const { session, model } = turn;
  return [
    {
      sessionId: session.id,
      model,
      createdAt: now,
      id: randomUUID(),
      role: 'user',
      content: turn.prompt,
      tokens: turn.usage.input,
      status: 'complete',
    },
    {
      sessionId: session.id,
      model,
      createdAt: now,
      id: randomUUID(),
      role: 'assistant',
      content: turn.reply,
      tokens: turn.usage.output,
      status: turn.status,
    },
  ];
}
