import type { Logger } from '@nestjs/common';

import { isBackingServiceDown } from '../errors/all-exceptions.filter';

const FIRST_DELAY_MS = 200;
const MAX_DELAY_MS = 5000;

/**
 * Runs `work` again, with backoff, for as long as it fails because the database (or Redis) is
 * unreachable; any other error is thrown at once. For writes that must land, such as a run's end.
 */
export async function untilAvailable<T>(
  work: () => Promise<T>,
  logger: Logger,
  what: string,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await work();
    } catch (err) {
      if (!isBackingServiceDown(err)) throw err;
      const delay = Math.min(FIRST_DELAY_MS * 2 ** attempt, MAX_DELAY_MS);
      if (attempt === 0 || delay === MAX_DELAY_MS)
        logger.warn(`${what}: ${(err as Error).message}; retrying every ${delay} ms at most`);
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}
