import type { Request, Response } from 'express';

export interface CachedJson {
  body: Buffer;
  etag: string;
}

/** Sends pre-serialized JSON with its strong ETag, or 304 when `If-None-Match` already has it. */
export function sendCachedJson(req: Request, res: Response, cached: CachedJson): void {
  res.setHeader('ETag', cached.etag);
  res.setHeader('Cache-Control', 'private, no-cache');
  const ifNoneMatch = req.headers['if-none-match'];
  if (
    ifNoneMatch &&
    (ifNoneMatch === '*' || ifNoneMatch.split(',').some((tag) => tag.trim() === cached.etag))
  ) {
    res.status(304).end();
    return;
  }
  res.status(200);
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', cached.body.length);
  res.end(cached.body);
}
