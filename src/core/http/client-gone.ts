import type { Response } from 'express';

import { Cancellation, CancelSignal } from './cancellation';

const GONE = Symbol('clientGone');

type Watched = Response & { [GONE]: Cancellation };

// One listener function for every response (`this` is the response): no closure per request.
function onClose(this: Watched): void {
  if (!this.writableFinished) this[GONE].abort();
}

/** Aborts when the client closes the connection before the answer is complete. */
export function clientGone(res: Response): CancelSignal {
  const gone = new Cancellation();
  (res as Watched)[GONE] = gone;
  res.on('close', onClose);
  return gone;
}
