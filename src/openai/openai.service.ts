import { Injectable } from '@nestjs/common';
import type { Response } from 'express';

import { AppConfigService } from '../app-config/app-config.service';
import type { CompletionSpec } from '../completions/completion-runner';
import { CompletionRunner } from '../completions/completion-runner';
import { assertKeyMayUse } from '../core/auth/key-models';
import type { Principal } from '../core/auth/principal';
import { EnvService } from '../core/env/env.service';
import { AppException } from '../core/errors/app.exception';
import { toOpenAiError } from '../core/errors/openai-error';
import type { CancelSignal } from '../core/http/cancellation';
import { SseWriter } from '../core/http/sse-writer';
import { ModelRegistry } from '../models/model-registry.service';
import type { TokenUsage, WireCall } from '../models/provider.types';
import { ChatCompletionRequestDto, stopProblem } from './dto/chat-completion-request.dto';
import type { CompletionUsageDto } from './dto/chat-completion-response.dto';
import type { OpenAiModelDto, OpenAiModelListDto } from './dto/openai-model.dto';
import { toOpenAiMessages } from './messages';

/** Fields passed to the provider as they are, when the caller set them (SPEC §10). */
const PASSED_ON = [
  'top_p',
  'stop',
  'presence_penalty',
  'frequency_penalty',
  'seed',
  'user',
  'logit_bias',
  'response_format',
  'n',
  'tools',
  'tool_choice',
  'parallel_tool_calls',
  'logprobs',
  'top_logprobs',
  'reasoning_effort',
  'verbosity',
  'service_tier',
  'store',
  'metadata',
  'modalities',
  'audio',
  'prediction',
  'web_search_options',
  'prompt_cache_key',
  'safety_identifier',
  'functions',
  'function_call',
] as const;

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
    private readonly runner: CompletionRunner,
    private readonly config: AppConfigService,
    env: EnvService,
  ) {
    this.pingMs = env.get('SSE_PING_INTERVAL_MS');
  }

  /** As `GET /api/v1/models`: a key limited to some `models` sees only those (the others would be a 403). */
  listModels(user: Principal): OpenAiModelListDto {
    return { object: 'list', data: this.models.listFor(user).map((m) => this.toModel(m)) };
  }

  getModel(user: Principal, id: string): OpenAiModelDto {
    // As for a completion: the key's list first, then resolve()'s 404 that says why (unknown, or
    // its provider is not configured).
    assertKeyMayUse(user, id);
    this.models.resolve(id);
    return this.toModel(this.models.list().find((m) => m.id === id)!);
  }

  /** The provider's `chat.completion` as it answered: every choice, tool calls, refusal, logprobs, usage. */
  async complete(
    user: Principal,
    dto: ChatCompletionRequestDto,
    clientGone: CancelSignal,
  ): Promise<Record<string, unknown>> {
    const spec = await this.prepare(user, dto, clientGone);
    const call = await this.runner.complete(spec);
    // Nothing is stored here: the gate writes the usage record itself.
    await call.settle(false);
    const { body, usage } = call.result;
    // A provider that sent no usage gets ours, so OpenAI's clients always find it.
    return body!.usage ? body! : Object.assign({}, body!, { usage: toUsage(usage) });
  }

  /**
   * OpenAI's chunk stream, relayed frame by frame as the provider sent it. As on
   * /api/v1/chat/stream, the response opens only with the provider's first chunk, so every earlier
   * error is a plain JSON error with its status; later errors are a `data: {"error": …}` event,
   * which OpenAI's clients raise.
   */
  async stream(
    user: Principal,
    dto: ChatCompletionRequestDto,
    res: Response,
    clientGone: CancelSignal,
  ): Promise<void> {
    const spec = await this.prepare(user, dto, clientGone);
    const run = await this.runner.stream(spec);
    if (!run) return;

    const sse = new SseWriter(res);
    sse.open({}, this.pingMs);
    let failure: unknown;
    try {
      for (let next = run.first; !next.done; next = await run.chunks.next()) sse.raw(next.value);
    } catch (err) {
      failure = err;
    }
    // The stream keeps the text it relayed, for counting.
    const { complete } = run.finish('', failure);
    await run.settle(false);
    if (!complete && !clientGone.aborted) {
      sse.data(toOpenAiError(run.interruption() ?? run.breakage()));
    }
    sse.done();
  }

  private async prepare(
    user: Principal,
    dto: ChatCompletionRequestDto,
    clientGone: CancelSignal,
  ): Promise<CompletionSpec> {
    const stop = stopProblem(dto.stop);
    if (stop) throw AppException.validation([{ field: 'stop', message: stop }]);
    const messages = toOpenAiMessages(dto.messages);
    assertKeyMayUse(user, dto.model);
    const model = this.models.resolve(dto.model);
    // The config's max_tokens is the ceiling (SPEC §7): a caller may ask for less, never for more.
    const ceiling = (await this.config.get()).max_tokens;
    const asked = dto.max_completion_tokens ?? dto.max_tokens ?? undefined;
    const options: Record<string, unknown> = {};
    for (const key of PASSED_ON) {
      if (dto[key] !== undefined && dto[key] !== null) options[key] = dto[key];
    }
    // Each limit goes on under the name the caller gave it (reasoning models take only
    // max_completion_tokens), lowered to the ceiling.
    const limits: WireCall['limits'] = {};
    for (const key of ['max_tokens', 'max_completion_tokens'] as const) {
      const limit = dto[key];
      if (limit !== undefined && limit !== null) limits[key] = Math.min(limit, ceiling);
    }
    return {
      principal: user,
      endpoint: '/v1/chat/completions',
      model,
      clientGone,
      request: {
        model: model.id,
        messages: messages.text,
        temperature: dto.temperature ?? undefined,
        maxTokens: asked === undefined ? undefined : Math.min(asked, ceiling),
        options,
        wire: {
          messages: messages.wire,
          includeUsage: dto.stream_options?.include_usage === true,
          limits,
        },
      },
    };
  }

  private toModel(model: { id: string; provider: string }): OpenAiModelDto {
    return { id: model.id, object: 'model', created: this.started, owned_by: model.provider };
  }
}
