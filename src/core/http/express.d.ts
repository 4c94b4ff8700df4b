import type { Principal } from '../auth/principal';

declare global {
  namespace Express {
    // eslint-disable-next-line @typescript-eslint/no-empty-object-type
    interface User extends Principal {}
    interface Request {
      id: string;
      /** performance.now() when the request arrived: its duration in the log line and metrics. */
      receivedAt: number;
      /** A body that could not be read, raised once a route matches. */
      bodyError?: unknown;
    }
  }
}
