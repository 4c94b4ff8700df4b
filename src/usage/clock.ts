import { Injectable } from '@nestjs/common';

/**
 * The time quotas and usage records go by. A provider of its own so that a test can move it past
 * a UTC midnight (replace `now`) instead of waiting for one.
 */
@Injectable()
export class Clock {
  now(): Date {
    return new Date();
  }
}
