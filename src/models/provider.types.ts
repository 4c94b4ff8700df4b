import type { CancelSignal } from '../core/http/cancellation';

export type ChatRole = 'system' | 'user' | 'assistant';

export interface ChatMessage {
  role: ChatRole;
  content: string;
}

export interface TokenUsage {
  input: number;
  output: number;
}

export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  temperature?: number;
  maxTokens?: number;
  /** More OpenAI sampling fields (top_p, stop, seed, …), passed to the provider as they are. */
  options?: Record<string, unknown>;
  /** Aborted when the caller goes away. */
  signal: CancelSignal;
  /** Aborted at the shutdown deadline. Two signals, not one made of both: `AbortSignal.any` costs ~20 µs a call. */
  shutdown: CancelSignal;
  /** Set for an OpenAI call passed through as its caller wrote it (SPEC §10). */
  wire?: WireCall;
}

/**
 * An OpenAI Chat Completions call passed through (`/v1`): `wire.messages` go to the provider instead
 * of `messages` (which stay the text, for counting), the answer comes back whole (`body`), and a
 * stream yields OpenAI's own `data: …` frames, relayed as the provider sent them.
 */
export interface WireCall {
  /** The caller's messages: content parts, assistant tool calls and tool messages as sent. */
  messages: unknown[];
  /** The caller asked for the usage chunk at the end of a stream. */
  includeUsage: boolean;
  /** The token limits under the names the caller used, each lowered to the config's ceiling. */
  limits?: { max_tokens?: number; max_completion_tokens?: number };
}

export interface ChatCompletion {
  content: string;
  usage: TokenUsage;
  /** Why the provider stopped (`stop`, `length`, …), when it said. */
  finishReason?: string;
  /** A wire call's `chat.completion` as the provider answered it: every choice, tool calls, logprobs. */
  body?: Record<string, unknown>;
}

/**
 * Text chunks as the provider sends them. `complete` is true only when the provider ended the
 * reply itself; an aborted or broken stream leaves it false.
 */
export interface ChatStream extends AsyncIterable<string> {
  readonly usage: TokenUsage | undefined;
  readonly complete: boolean;
  readonly finishReason?: string;
  /** A wire stream's reply text so far (content and tool-call arguments), to count what was shown. */
  readonly text?: string;
}

export interface ModelProvider {
  readonly name: string;
  complete(req: ChatRequest): Promise<ChatCompletion>;
  stream(req: ChatRequest): Promise<ChatStream>;
}

/** An OpenAI-compatible endpoint and the models it serves. */
export interface ProviderConfig {
  name: string;
  baseURL: string;
  models: string[];
  /** USD per million tokens of the models the providers file priced. */
  prices?: Record<string, { input_price: number; output_price: number }>;
  /** The variable holding its key, if it needs one. */
  keyVar?: string;
  apiKey?: string;
}

/** The mutable outcome a provider fills in while its chunks are read. */
export interface StreamState {
  usage: TokenUsage | undefined;
  complete: boolean;
  finishReason?: string;
  text?: string;
}

export function chatStream(chunks: AsyncIterator<string>, state: StreamState): ChatStream {
  return {
    [Symbol.asyncIterator]: () => chunks,
    get usage() {
      return state.usage;
    },
    get complete() {
      return state.complete;
    },
    get finishReason() {
      return state.finishReason;
    },
    get text() {
      return state.text;
    },
  };
}

/** The call was cut: its caller left, or the shutdown deadline passed. */
export const isCut = (req: Pick<ChatRequest, 'signal' | 'shutdown'>): boolean =>
  req.signal.aborted || req.shutdown.aborted;
