import type { Response } from 'supertest';

/** Asserts the response is the one error envelope with this status and code; returns its body. */
export function expectError(res: Response, status: number, code: string): Record<string, unknown> {
  if (res.status !== status || res.body?.error?.code !== code) {
    throw new Error(`expected ${status} ${code}, got ${res.status} ${JSON.stringify(res.body)}`);
  }
  const error = res.body.error as Record<string, unknown>;
  expect(error).toEqual(
    expect.objectContaining({
      type: expect.any(String),
      code,
      message: expect.any(String),
      details: expect.any(Array),
      path: expect.any(String),
      request_id: expect.any(String),
    }),
  );
  expect(res.headers['x-request-id']).toBe(error.request_id);
  return error;
}
