import { RequestMethod } from '@nestjs/common';
import type { DestinationStream } from 'pino';
import { LoggerModule } from 'nestjs-pino';
import type { IncomingMessage } from 'node:http';
import type { Request } from 'express';
import type { Principal } from '../auth/principal';
import type { AppSettings } from '../settings/settings';

type LoggedRequest = Request & { id?: string; user?: Principal };

/** Levels at which the per-request "request completed" line (logged at info) is written. */
const REQUEST_LOG_LEVELS = new Set(['info', 'debug', 'trace']);

/** Headers that carry credentials never reach a log line. */
const REDACTED = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
];

/**
 * JSON logs (pretty in development), one line per request with its id, tenant and principal.
 * Bodies are never logged, so prompts and secrets stay out at every level.
 */
export function loggingModule(settings: AppSettings, stream?: DestinationStream) {
  const options = {
    level: settings.logLevel,
    redact: { paths: REDACTED, censor: '[redacted]' },
    genReqId: (req: IncomingMessage) => (req as LoggedRequest).id ?? 'unknown',
    customProps: (incoming: IncomingMessage) => {
      const user = (incoming as LoggedRequest).user;
      return { tenant: user?.tenant?.slug, principal: user ? `${user.kind}:${user.id}` : undefined };
    },
    serializers: {
      req: (req: { id: string; method: string; url: string }) => ({
        id: req.id,
        method: req.method,
        url: req.url,
      }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
    // Above info the request line is never written: nothing is prepared for it either (a child
    // logger and listeners per response, about 2% of a streamed chat's CPU).
    autoLogging: REQUEST_LOG_LEVELS.has(settings.logLevel)
      ? { ignore: (req: IncomingMessage) => req.url === '/api/v1/health/live' }
      : false,
    transport:
      settings.logPretty && !stream
        ? {
            target: 'pino-pretty',
            options: { singleLine: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' },
          }
        : undefined,
  };
  return LoggerModule.forRoot({
    pinoHttp: stream ? [options, stream] : options,
    // Express 5 wildcard syntax; the default `*` is converted with a warning at every start.
    forRoutes: [{ path: '{*path}', method: RequestMethod.ALL }],
  });
}
