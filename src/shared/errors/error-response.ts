import type { Request, Response } from 'express';
import { AppError } from './app-error';

export function requestIdOf(req: Request): string {
  return (req as Request & { id?: string }).id ?? 'unknown';
}

/** Writes an `AppError` as the one error envelope. */
export function sendError(req: Request, res: Response, error: AppError): void {
  for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, value);
  res.status(error.status).json({
    error: {
      type: error.name,
      code: error.code,
      message: error.message,
      details: error.details,
      path: req.originalUrl.split('?')[0],
      request_id: requestIdOf(req),
    },
  });
}
