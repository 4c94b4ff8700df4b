import { randomUUID } from 'node:crypto';

import { Injectable } from '@nestjs/common';
import type { Response } from 'express';

import { AppConfigService } from '../app-config/app-config.service';
import { SseWriter } from '../chat/sse-writer';
import { EnvService } from '../core/env/env.service';
import { AppException } from '../core/errors/app.exception';
import { ErrorCode } from '../core/errors/error-code';
import { toOpenAiError } from '../core/errors/openai-error';
import { ShutdownService } from '../core/shutdown/shutdown.service';
import { MetricsService } from '../metrics/metrics.service';
import { ModelRegistry, ResolvedModel } from '../models/model-registry.service';
import type { ChatRequest, TokenUsage } from '../models/provider.types';
import { countPromptTokens, countTokens } from '../models/tokenizer';
import { ChatCompletionRequestDto, stopProblem } from './dto/chat-completion-request.dto';
import type {
  ChatCompletionDto,
  CompletionUsageDto,
  OpenAiModelDto,
  OpenAiModelListDto,
} from './dto/chat-completion-response.dto';
import { toChatMessages } from './messages';

/** Fields passed to the provider as they are, when the caller set them. */
const PASSED_ON = [
  'top_p',
  'stop',
  'presence_penalty',
  'frequency_penalty',
  'seed',
  'user',
  'logit_bias',
  'response_format',
] as const;

interface Prepared {
  model: ResolvedModel;
  request: Omit<ChatRequest, 'signal'>;
}

const toUsage = (usage: TokenUsage): CompletionUsageDto => ({
  prompt_tokens: usage.input,
  completion_tokens: usage.output,
  total_tokens: usage.input + usage.output,
});

/**
 * POST /v1/chat/completions and GET /v1/models (SPEC §10). Stateless, as OpenAI's API is: the
 * caller sends the whole conversation, and nothing is stored in sessions.
 */
@Injectable()
export class OpenAiService {
  private readonly pingMs: number;
  private readonly started = Math.floor(Date.now() / 1000);

  constructor(
    private readonly models: ModelRegistry,
    private readonly metrics: MetricsService,
    private readonly shutdown: ShutdownService,
    private readonly config: AppConfigService,
    env: EnvService,
  ) {
    this.pingMs = env.get('SSE_PING_INTERVAL_MS');
  }

  listModels(): OpenAiModelListDto {
    return { object: 'list', data: this.models.list().map((m) => this.toModel(m)) };
  }

  getModel(id: string): OpenAiModelDto {
    // resolve() throws the 404 that says why: unknown, or its provider is not configured.
    this.models.resolve(id);
    return this.toModel(this.models.list().find((m) => m.id === id)!);
  }

  async complete(
    dto: ChatCompletionRequestDto,
    clientGone: AbortSignal,
  ): Promise<ChatCompletionDto> {
    const { model, request } = await this.prepare(dto);
    const end = this.metrics.upstreamDuration.startTimer({ model: model.id });
    let result;
    try {
      result = await model.provider.complete({
        ...request,
        signal: AbortSignal.any([clientGone, this.shutdown.deadline]),
      });
    } catch (err) {
      end({ outcome: err instanceof AppException ? err.code.toLowerCase() : 'aborted' });
      throw this.shutdown.interruption(clientGone) ?? err;
    }
    end({ outcome: 'complete' });
    this.metrics.countTokens(model.id, result.usage);
    return {
      id: completionId(),
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: model.id,
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: result.content, refusal: null },
          logprobs: null,
          finish_reason: result.finishReason ?? 'stop',
        },
      ],
      usage: toUsage(result.usage),
      system_fingerprint: null,
    };
  }

  /**
   * OpenAI's chunk stream. As on /api/v1/chat/stream, the response opens only with the provider's
   * first chunk, so every earlier error is a plain JSON error with its status; later errors are a
   * `data: {"error": …}` event, which OpenAI's clients raise.
   */
  async stream(
    dto: ChatCompletionRequestDto,
    res: Response,
    clientGone: AbortSignal,
  ): Promise<void> {
    const { model, request } = await this.prepare(dto);
    const signal = AbortSignal.any([clientGone, this.shutdown.deadline]);
    const end = this.metrics.upstreamDuration.startTimer({ model: model.id });
    const opened = await model.provider
      .stream({ ...request, signal })
      .then(async (stream) => {
        const chunks = stream[Symbol.asyncIterator]();
        return { stream, chunks, first: await chunks.next() };
      })
      .catch((err: unknown) => {
        end({ outcome: err instanceof AppException ? err.code.toLowerCase() : 'aborted' });
        throw this.shutdown.interruption(clientGone) ?? err;
      });
    const { stream, chunks, first } = opened;
    if (signal.aborted) {
      await chunks.return?.(undefined);
      end({ outcome: 'aborted' });
      const error = this.shutdown.interruption(clientGone);
      if (error) throw error;
      return;
    }

    const sse = new SseWriter(res);
    sse.open({}, this.pingMs);
    const base = {
      id: completionId(),
      object: 'chat.completion.chunk',
      created: Math.floor(Date.now() / 1000),
      model: model.id,
      system_fingerprint: null,
    };
    const chunk = (delta: Record<string, string>, finish: string | null = null) =>
      sse.data({ ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] });

    chunk({ role: 'assistant', content: '' });
    let reply = '';
    let failure: unknown;
    try {
      for (let next = first; !next.done; next = await chunks.next()) {
        reply += next.value;
        chunk({ content: next.value });
      }
    } catch (err) {
      failure = err;
    }
    const complete = failure === undefined && !signal.aborted && stream.complete;
    const usage = stream.usage ?? {
      input: countPromptTokens(request.messages),
      output: countTokens(reply),
    };
    end({ outcome: complete ? 'complete' : 'incomplete' });
    this.metrics.countTokens(model.id, usage);
    if (complete) {
      chunk({}, stream.finishReason ?? 'stop');
      if (dto.stream_options?.include_usage)
        sse.data({ ...base, choices: [], usage: toUsage(usage) });
    } else if (!clientGone.aborted) {
      const error =
        this.shutdown.interruption(clientGone) ??
        (failure instanceof AppException
          ? failure
          : new AppException(ErrorCode.UPSTREAM_ERROR, 'The reply ended before it was complete'));
      sse.data(toOpenAiError(error));
    }
    sse.done();
  }

  private async prepare(dto: ChatCompletionRequestDto): Promise<Prepared> {
    const stop = stopProblem(dto.stop);
    if (stop) throw AppException.validation([{ field: 'stop', message: stop }]);
    const messages = toChatMessages(dto.messages);
    const model = this.models.resolve(dto.model);
    // The config's max_tokens is the ceiling (SPEC §7): a caller may ask for less, never for more.
    const ceiling = (await this.config.get()).max_tokens;
    const asked = dto.max_completion_tokens ?? dto.max_tokens ?? undefined;
    const options: Record<string, unknown> = {};
    for (const key of PASSED_ON) {
      if (dto[key] !== undefined && dto[key] !== null) options[key] = dto[key];
    }
    return {
      model,
      request: {
        model: model.id,
        messages,
        temperature: dto.temperature ?? undefined,
        maxTokens: asked === undefined ? undefined : Math.min(asked, ceiling),
        options,
      },
    };
  }

  private toModel(model: { id: string; provider: string }): OpenAiModelDto {
    return { id: model.id, object: 'model', created: this.started, owned_by: model.provider };
  }
}

function completionId(): string {
  return `chatcmpl-${randomUUID().replace(/-/g, '')}`;
}
