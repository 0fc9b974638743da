import type { NextFunction, Request, Response } from 'express';
import { httpRequestDuration } from './metrics';

/** Express sets `req.route` for a matched route; unmatched requests share one label value. */
function routeTemplate(req: Request, fallback: string): string {
  const path = (req.route as { path?: string } | undefined)?.path;
  return typeof path === 'string' ? `${req.baseUrl}${path}` : fallback;
}

/**
 * Observes every request's duration under its route template (never the raw URL, whose ids would
 * make the label set unbounded). The internal config fast path, mounted before this, records its own.
 */
export function httpMetricsMiddleware(req: Request, res: Response, next: NextFunction): void {
  const started = process.hrtime.bigint();
  res.once('finish', () => {
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    httpRequestDuration.observe(
      { route: routeTemplate(req, 'unmatched'), method: req.method, status: String(res.statusCode) },
      seconds,
    );
  });
  next();
}
