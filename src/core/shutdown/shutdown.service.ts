import type { Server } from 'node:http';

import { Injectable, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';

import { sendError } from '../errors/all-exceptions.filter';
import { AppException } from '../errors/app.exception';
import { ErrorCode } from '../errors/error-code';
import { Cancellation, CancelSignal } from '../http/cancellation';
import type { RequestGate } from '../http/request-pipeline';

/**
 * After SHUTDOWN_TIMEOUT_MS, the time streams cut at the deadline get to store their partial turn
 * and send their last event, and workers to hand back their jobs, before the process gives up and
 * exits 1. An orchestrator's grace period must cover both (deploy/kubernetes sets it so).
 */
export const SHUTDOWN_CLEANUP_MS = 10_000;

/** Of the cleanup time, how long cut streams get to store and answer before sockets close. */
const CUT_STREAMS_MS = 5_000;

/**
 * The HTTP side of a graceful stop (SPEC §11): once it begins, new requests are refused and the
 * requests and streams in flight run to their end, up to the deadline; streams still open then
 * are told to end (through `deadline`), and the server waits a little more for them.
 */
@Injectable()
export class ShutdownService implements RequestGate {
  private readonly logger = new Logger(ShutdownService.name);
  private readonly began = new AbortController();
  private readonly cut = new Cancellation();
  private inFlight = 0;
  private idle?: () => void;

  /** Aborts when the process begins to stop: queue workers take no new jobs from then on. */
  get signal(): AbortSignal {
    return this.began.signal;
  }

  /** Aborts at the shutdown deadline: whatever still streams ends then. */
  get deadline(): CancelSignal {
    return this.cut;
  }

  get stopping(): boolean {
    return this.began.signal.aborted;
  }

  /**
   * The error to tell a caller whose request the deadline cut short; undefined before it, or when
   * the caller itself went away (then there is no one to tell).
   */
  interruption(
    clientGone?: CancelSignal,
    details: Record<string, unknown> = {},
  ): AppException | undefined {
    if (clientGone?.aborted || !this.cut.aborted) return undefined;
    return new AppException(
      ErrorCode.SERVICE_UNAVAILABLE,
      details.message_id
        ? 'The server is shutting down; the partial reply is stored'
        : 'The server is shutting down',
      details,
    );
  }

  /**
   * Counts a request in flight (the request pipeline calls it for every request); once stopping,
   * answers it 503 instead, also on kept-alive connections.
   */
  enter(req: Request, res: Response): boolean {
    this.inFlight++;
    if (!this.stopping) return true;
    res.setHeader('Connection', 'close');
    sendError(
      new AppException(ErrorCode.SERVICE_UNAVAILABLE, 'The server is shutting down'),
      req,
      res,
      this.logger,
    );
    return false;
  }

  /** A request entered has ended. */
  leave(): void {
    if (--this.inFlight === 0) this.idle?.();
  }

  /**
   * Stops accepting connections and lets the requests and streams in flight finish, up to
   * `timeoutMs`; then ends the streams still open, gives them a moment to store and answer, and
   * closes every connection left, so the rest of the shutdown can go on.
   */
  async drain(server: Server, timeoutMs: number): Promise<void> {
    server.close();
    this.began.abort();
    server.closeIdleConnections();
    if (!(await this.settled(timeoutMs))) {
      this.logger.warn(
        `${this.inFlight} request(s) still open at the shutdown deadline (${timeoutMs} ms); ending them`,
      );
      this.cut.abort();
      await this.settled(CUT_STREAMS_MS);
    }
    server.closeAllConnections();
  }

  /** True once no request is in flight, false if `ms` pass first. */
  private settled(ms: number): Promise<boolean> {
    if (this.inFlight === 0) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), ms);
      this.idle = () => {
        clearTimeout(timer);
        resolve(true);
      };
    });
  }
}
