import type { Principal } from '../core/auth/principal';

/** The route a completion came in on (SPEC §13 `endpoint`). */
export type CompletionEndpoint = '/api/v1/chat' | '/api/v1/chat/stream' | '/v1/chat/completions';

export type CompletionStatus = 'complete' | 'incomplete' | 'failed';

/** A provider call as it is known before the provider is reached. */
export interface CompletionCall {
  principal: Principal;
  endpoint: CompletionEndpoint;
  model: string;
  provider: string;
}

/** How a call ended; tokens are the provider's count, or ours when it sent none. */
export interface CompletionOutcome {
  status: CompletionStatus;
  inputTokens: number;
  outputTokens: number;
  latencyMs: number;
}

/**
 * A call's usage record (SPEC §13), priced and dated by the gate, for a caller that writes it in
 * its own transaction (a chat turn, with its messages).
 */
export interface CompletionRecord {
  userId: string;
  apiKeyId: string | null;
  model: string;
  provider: string;
  endpoint: CompletionEndpoint;
  status: CompletionStatus;
  inputTokens: number;
  outputTokens: number;
  costUsd: number | null;
  latencyMs: number;
  createdAt: Date;
}

/**
 * The one hook every provider call passes through (STYLE habit 17): the completion runner calls
 * `admit` before the provider is reached (it throws QUOTA_EXCEEDED or MODEL_NOT_ALLOWED) and
 * `settle` exactly once when the call has ended, whatever the outcome. `recorded` says the caller
 * already wrote the usage record in its own transaction (a chat turn does: the one `record`
 * answered), so only the counters are left to update.
 */
export interface CompletionGate {
  admit(call: CompletionCall): Promise<void>;
  /** The usage record of an ended call; a gate that records nothing leaves it out. */
  record?(call: CompletionCall, outcome: CompletionOutcome): CompletionRecord;
  settle(call: CompletionCall, outcome: CompletionOutcome, recorded: boolean): Promise<void>;
}

export const COMPLETION_GATE = Symbol('COMPLETION_GATE');

/** Until usage is wired in: every call is admitted and nothing is counted. */
export const OPEN_GATE: CompletionGate = {
  admit: () => Promise.resolve(),
  settle: () => Promise.resolve(),
};
