import type { IncomingHttpHeaders } from 'node:http';
import { API_KEY_PREFIX } from './auth.ports';

/** The credential of an `Authorization: Bearer <credential>` header; the scheme in any case (RFC 9110 §11.1). */
export function bearerCredential(authorization: string | undefined): string | undefined {
  const match = authorization === undefined ? null : /^bearer +(\S(?:.*\S)?) *$/i.exec(authorization);
  return match ? match[1] : undefined;
}

/** The API key a request presents (`X-API-Key`, or a Bearer value starting with `agt_`), if any. */
export function presentedApiKey(req: { headers: IncomingHttpHeaders }): string | undefined {
  const headerKey = req.headers['x-api-key'];
  if (typeof headerKey === 'string') return headerKey;
  const bearer = bearerCredential(req.headers.authorization);
  return bearer?.startsWith(API_KEY_PREFIX) ? bearer : undefined;
}
