import type { Server } from 'node:http';

import { Injectable, Logger } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';

import { sendError } from '../errors/all-exceptions.filter';
import { AppException } from '../errors/app.exception';
import { ErrorCode } from '../errors/error-code';

/**
 * The HTTP side of a graceful stop (SPEC §11): once it begins, new requests are refused, open
 * streams are told to end (through `signal`), and the server waits for the requests in flight.
 */
@Injectable()
export class ShutdownService {
  private readonly logger = new Logger(ShutdownService.name);
  private readonly controller = new AbortController();
  private inFlight = 0;
  private idle?: () => void;

  /** Aborts when the process begins to stop. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get stopping(): boolean {
    return this.controller.signal.aborted;
  }

  /**
   * The error to tell a caller whose request the stop cut short; undefined while running, or when
   * the caller itself went away (then there is no one to tell).
   */
  interruption(
    clientGone?: AbortSignal,
    details: Record<string, unknown> = {},
  ): AppException | undefined {
    if (clientGone?.aborted || !this.stopping) return undefined;
    return new AppException(
      ErrorCode.SERVICE_UNAVAILABLE,
      details.message_id
        ? 'The server is shutting down; the partial reply is stored'
        : 'The server is shutting down',
      details,
    );
  }

  /** Counts requests in flight; refuses new ones, also on kept-alive connections, once stopping. */
  middleware() {
    return (req: Request, res: Response, next: NextFunction): void => {
      if (this.stopping) {
        res.setHeader('Connection', 'close');
        sendError(this.interruption(), req, res, this.logger);
        return;
      }
      this.inFlight++;
      res.once('close', () => {
        if (--this.inFlight === 0) this.idle?.();
      });
      next();
    };
  }

  /**
   * Stops accepting connections, ends streams, and waits up to `timeoutMs` for the requests in
   * flight; whatever is still open after that is cut, so the rest of the shutdown can go on.
   */
  async drain(server: Server, timeoutMs: number): Promise<void> {
    server.close();
    this.controller.abort();
    server.closeIdleConnections();
    if (this.inFlight > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        this.idle = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    server.closeAllConnections();
  }
}
