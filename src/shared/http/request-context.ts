import type { IncomingMessage } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';

const SAFE_REQUEST_ID = /^[\w.:-]{1,128}$/;

/** The request's `X-Request-Id` when it is a sane token, otherwise a new one. */
export function requestIdFor(req: IncomingMessage): string {
  const incoming = req.headers['x-request-id'];
  return typeof incoming === 'string' && SAFE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
}

/**
 * Takes `X-Request-Id` when it is a sane token, otherwise makes one, and echoes it. It travels as
 * `req.id` and, once authenticated, as the principal's `requestId` (audit rows name it), never
 * through an AsyncLocalStorage: one enabled anywhere in the process puts a hook on every promise
 * (see loggingModule).
 */
export function requestContextMiddleware(req: Request, res: Response, next: NextFunction): void {
  const requestId = requestIdFor(req);
  (req as Request & { id: string }).id = requestId;
  res.setHeader('X-Request-Id', requestId);
  next();
}
