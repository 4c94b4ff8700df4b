import type { Response } from 'supertest';
import type { DataSource } from 'typeorm';

import type { TestApp } from './test-app';

export type Method = 'get' | 'post' | 'patch' | 'delete';

/** A request to the app as `token` (none: no Authorization header), with `body` when given. */
export function send(
  t: TestApp,
  method: Method,
  path: string,
  token?: string,
  body?: Record<string, unknown> | unknown[] | string,
): Promise<Response> {
  let req = t.http()[method](path);
  if (token !== undefined) req = req.set('Authorization', `Bearer ${token}`);
  return body === undefined ? req : req.send(body);
}

/** SQL with $1… placeholders on both dialects. */
export function dbQuery<T = Record<string, unknown>>(
  db: DataSource,
  text: string,
  params: unknown[] = [],
): Promise<T[]> {
  return db.query(db.options.type === 'postgres' ? text : text.replace(/\$\d+/g, '?'), params);
}
