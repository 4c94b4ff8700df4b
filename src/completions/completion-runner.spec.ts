import { AppException } from '../core/errors/app.exception';
import { ErrorCode } from '../core/errors/error-code';
import type { RedisService } from '../core/redis/redis.service';
import { ShutdownService } from '../core/shutdown/shutdown.service';
import { MetricsService } from '../metrics/metrics.service';
import { EchoProvider } from '../models/echo.provider';
import type { ChatCompletion, ChatStream, ModelProvider } from '../models/provider.types';
import type { CompletionCall, CompletionGate, CompletionOutcome } from './completion-gate';
import { CompletionRunner, CompletionSpec } from './completion-runner';

class Gate implements CompletionGate {
  admitted: CompletionCall[] = [];
  settled: { outcome: CompletionOutcome; recorded: boolean }[] = [];
  refuse?: Error;
  async admit(call: CompletionCall): Promise<void> {
    this.admitted.push(call);
    if (this.refuse) throw this.refuse;
  }
  async settle(_call: CompletionCall, outcome: CompletionOutcome, recorded: boolean) {
    this.settled.push({ outcome, recorded });
  }
}

/** A provider that fails on every call, counting them. */
class FailingProvider implements ModelProvider {
  readonly name = 'failing';
  calls = 0;
  complete(): Promise<ChatCompletion> {
    this.calls++;
    return Promise.reject(new AppException(ErrorCode.UPSTREAM_ERROR, 'down'));
  }
  stream(): Promise<ChatStream> {
    this.calls++;
    return Promise.reject(new AppException(ErrorCode.UPSTREAM_TIMEOUT, 'slow'));
  }
}

describe(CompletionRunner.name, () => {
  let gate: Gate;
  let runner: CompletionRunner;
  const metrics = new MetricsService({} as RedisService);

  const spec = (provider: ModelProvider, clientGone = new AbortController().signal) =>
    ({
      principal: { userId: 'u1', email: 'u@example.test', role: 'user', via: 'jwt' },
      endpoint: '/api/v1/chat',
      model: { id: provider.name, provider },
      request: { model: provider.name, messages: [{ role: 'user', content: 'one two three' }] },
      clientGone,
    }) satisfies CompletionSpec;

  beforeEach(() => {
    gate = new Gate();
    runner = new CompletionRunner(metrics, new ShutdownService(), gate);
  });

  it('falls back to a gate that admits everything and counts nothing', async () => {
    const open = new CompletionRunner(metrics, new ShutdownService());
    const call = await open.complete(spec(new EchoProvider()));
    expect(call.result.content).toBe('one two three');
    await expect(call.settle(false)).resolves.toBeUndefined();
  });

  it('does not reach the provider when the gate refuses, and settles nothing', async () => {
    const provider = new FailingProvider();
    gate.refuse = new AppException(ErrorCode.FORBIDDEN);
    await expect(runner.complete(spec(provider))).rejects.toBe(gate.refuse);
    await expect(runner.stream(spec(provider))).rejects.toBe(gate.refuse);
    expect(provider.calls).toBe(0);
    expect(gate.settled).toEqual([]);
  });

  it('settles a provider error as failed before rethrowing it', async () => {
    const provider = new FailingProvider();
    await expect(runner.complete(spec(provider))).rejects.toMatchObject({
      code: ErrorCode.UPSTREAM_ERROR,
    });
    await expect(runner.stream(spec(provider))).rejects.toMatchObject({
      code: ErrorCode.UPSTREAM_TIMEOUT,
    });
    expect(gate.settled).toEqual([
      { outcome: expect.objectContaining({ status: 'failed', inputTokens: 0 }), recorded: false },
      { outcome: expect.objectContaining({ status: 'failed', inputTokens: 0 }), recorded: false },
    ]);
  });

  it('settles a reply once, however often the caller asks', async () => {
    const call = await runner.complete(spec(new EchoProvider()));
    expect(call.outcome).toMatchObject({ status: 'complete', outputTokens: 3 });
    await call.settle(true);
    await call.settle(false);
    expect(gate.settled).toEqual([{ outcome: call.outcome, recorded: true }]);
  });

  it('hands a stream over at its first chunk and settles it once it is finished', async () => {
    const run = (await runner.stream(spec(new EchoProvider())))!;
    expect(run.first).toEqual({ done: false, value: 'one ' });
    expect(() => run.settle(true)).toThrow();
    let reply = '';
    for (let next = run.first; !next.done; next = await run.chunks.next()) reply += next.value;
    const end = run.finish(reply, undefined);
    expect(end).toMatchObject({ complete: true, outcome: { status: 'complete' } });
    await run.settle(true);
    await run.settle(true);
    expect(gate.settled).toEqual([{ outcome: end.outcome, recorded: true }]);
  });

  it('settles a stream whose client left before the first chunk as incomplete, and answers nothing', async () => {
    const gone = new AbortController();
    gone.abort();
    await expect(runner.stream(spec(new EchoProvider(), gone.signal))).resolves.toBeUndefined();
    expect(gate.settled).toEqual([
      { outcome: expect.objectContaining({ status: 'incomplete' }), recorded: false },
    ]);
  });
});
