import type { Response } from 'supertest';

/** The SPEC §3 envelope with this status and code, and nothing else in the body. */
export function expectError(res: Response, status: number, code: string): void {
  expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status, code });
  expect(res.body).toEqual({
    error: { code, message: expect.any(String), details: expect.any(Object) },
  });
}

/** A VALIDATION_ERROR naming `field` among its `details.fields`. */
export function expectFieldError(res: Response, field: string): void {
  expectError(res, 400, 'VALIDATION_ERROR');
  expect(res.body.error.details.fields).toEqual(
    expect.arrayContaining([{ field, message: expect.any(String) }]),
  );
}
