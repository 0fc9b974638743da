import type { IncomingMessage, ServerResponse } from 'node:http';

export interface CachedJson {
  body: Buffer;
  etag: string;
}

/**
 * Sends pre-serialized JSON with its strong ETag, or 304 when `If-None-Match` already has it.
 * Headers go out in one writeHead (this is the execution services' hot path); `extraHeaders`
 * are added to them.
 */
export function sendCachedJson(
  req: IncomingMessage,
  res: ServerResponse,
  cached: CachedJson,
  extraHeaders: Record<string, string> = {},
): void {
  const headers: Record<string, string | number> = {
    ...extraHeaders,
    ETag: cached.etag,
    'Cache-Control': 'private, no-cache',
  };
  const ifNoneMatch = req.headers['if-none-match'];
  if (
    ifNoneMatch &&
    (ifNoneMatch === '*' || ifNoneMatch.split(',').some((tag) => tag.trim() === cached.etag))
  ) {
    res.writeHead(304, headers).end();
    return;
  }
  headers['Content-Type'] = 'application/json; charset=utf-8';
  headers['Content-Length'] = cached.body.length;
  res.writeHead(200, headers).end(cached.body);
}
