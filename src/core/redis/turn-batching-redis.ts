import Redis from 'ioredis';

type Sent = Parameters<Redis['sendCommand']>;

/**
 * A Redis client whose commands issued in one turn of the event loop go out as one write: the
 * first corks the socket and the end of the turn uncorks it. ioredis's auto-pipelining batches
 * the same way but lets one batch at a time be in flight, so a turn's commands also waited for the
 * previous turn's answers. At 50 connections that held requests, and what they hold, long enough
 * to reach the old generation: row 4 −3 to −5 % CPU, `/v1/models` 72 % more answers a second
 * (bench/results/analysis.md).
 */
export class TurnBatchingRedis extends Redis {
  private corked: Redis['stream'] | undefined;

  override sendCommand(command: Sent[0], stream?: Sent[1]): unknown {
    // A command written to another stream (a MULTI, a pipeline) is that stream's to send.
    if (!stream && !this.corked && this.status === 'ready' && this.stream) {
      this.corked = this.stream;
      this.corked.cork();
      setImmediate(uncork, this);
    }
    return super.sendCommand(command, stream);
  }

  /** Sends what the turn wrote; the socket corked is the one uncorked, even after a reconnect. */
  flushTurn(): void {
    const socket = this.corked;
    this.corked = undefined;
    socket?.uncork();
  }
}

function uncork(redis: TurnBatchingRedis): void {
  redis.flushTurn();
}
