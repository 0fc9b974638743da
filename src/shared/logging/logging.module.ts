import { DynamicModule, Global, Inject, Injectable, LoggerService, Module } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import { DestinationStream, Level, Logger as PinoInstance, pino } from 'pino';
import { pinoHttp } from 'pino-http';
import type { Principal } from '../auth/principal';
import type { AppSettings } from '../settings/settings';

type LoggedRequest = Request & { id?: string; user?: Principal };

/** The process's pino logger, which every log line goes through. */
export const ROOT_LOGGER = Symbol('ROOT_LOGGER');

/** Levels at which the per-request "request completed" line (logged at info) is written. */
const REQUEST_LOG_LEVELS = new Set(['info', 'debug', 'trace']);

/** Headers that carry credentials never reach a log line. */
const REDACTED = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
];

/** What Nest's built-in exception handlers pass as the second argument of `error`: a stack. */
const STACK = /\n\s*at /;

/**
 * Nest's logger calls as pino lines. Nest passes the logger's context last (`new Logger('Auth')`
 * calls `error(message, 'Auth')`): it becomes the line's `context`. An object message gives the
 * line's fields (an Error its `err`) and the next argument its message; Nest's own exception
 * handlers call `error(message, stack, context)`, which becomes an `err` with that stack.
 */
@Injectable()
export class AppLogger implements LoggerService {
  constructor(@Inject(ROOT_LOGGER) private readonly root: PinoInstance) {}

  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, params);
  }

  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }

  log(message: unknown, ...params: unknown[]): void {
    this.write('info', message, params);
  }

  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }

  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }

  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }

  private write(level: Level, message: unknown, params: unknown[]): void {
    const fields: Record<string, unknown> = {};
    const rest = params.length > 0 ? params.slice(0, -1) : params;
    if (params.length > 0) fields.context = params[params.length - 1];
    if (message instanceof Error) {
      fields.err = message;
      this.root[level](fields, ...(rest as [string]));
    } else if (typeof message === 'object' && message !== null) {
      Object.assign(fields, message);
      this.root[level](fields, ...(rest as [string]));
    } else if (level === 'error' && rest.length === 1 && typeof rest[0] === 'string' && STACK.test(rest[0])) {
      const err = new Error(String(message));
      err.stack = rest[0];
      fields.err = err;
      this.root.error(fields);
    } else {
      this.root[level](fields, String(message), ...rest);
    }
  }
}

/**
 * The "request completed" line of every request, with its id, tenant and principal, when the
 * level writes it (info and below); above that, nothing is done per request. Bodies are never
 * logged, so prompts and secrets stay out at every level.
 */
export function requestLogMiddleware(
  root: PinoInstance,
  settings: AppSettings,
): ((req: Request, res: Response, next: NextFunction) => void) | null {
  if (!REQUEST_LOG_LEVELS.has(settings.logLevel)) return null;
  return pinoHttp({
    logger: root,
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
    autoLogging: { ignore: (req: IncomingMessage) => req.url === '/api/v1/health/live' },
  }) as (req: IncomingMessage, res: ServerResponse, next: NextFunction) => void;
}

/**
 * JSON logs (pretty in development) through one pino logger per app, written to `stream` when
 * given (tests capture them). No AsyncLocalStorage binds lines to their request: one enabled
 * anywhere puts a hook on every promise of the process (this one and the request context's
 * together were 3–4% of a streamed chat's CPU); a line about a request names it itself.
 */
export function loggingModule(settings: AppSettings, stream?: DestinationStream): DynamicModule {
  const options = {
    level: settings.logLevel,
    redact: { paths: REDACTED, censor: '[redacted]' },
    transport:
      settings.logPretty && !stream
        ? {
            target: 'pino-pretty',
            options: { singleLine: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' },
          }
        : undefined,
  };
  const root = stream ? pino(options, stream) : pino(options);
  return {
    module: LoggingModule,
    providers: [{ provide: ROOT_LOGGER, useValue: root }, AppLogger],
    exports: [ROOT_LOGGER, AppLogger],
  };
}

@Global()
@Module({})
export class LoggingModule {}
