import {
  ArgumentsHost,
  Catch,
  ExceptionFilter,
  HttpException,
  HttpStatus,
  Logger,
  NotFoundException,
} from '@nestjs/common';
import { ThrottlerException } from '@nestjs/throttler';
import type { Request, Response } from 'express';
import { QueryFailedError } from 'typeorm';
import type { RouteMethods } from '../http/route-methods';
import { AppError } from './app-error';
import { commonError } from './common.errors';
import { requestIdOf, sendError } from './error-response';

/** Node and driver error codes that mean "the database cannot be reached", not "the query is wrong". */
const CONNECTION_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '08000',
  '08003',
  '08006',
]);

function isDatabaseUnavailable(error: unknown): boolean {
  const candidate = error as { code?: string; driverError?: { code?: string }; message?: string };
  const code = candidate?.driverError?.code ?? candidate?.code;
  if (code && CONNECTION_ERROR_CODES.has(code)) return true;
  const message = candidate?.message ?? '';
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(
    message,
  );
}

/** Maps what Nest itself throws onto our codes. */
function fromHttpException(exception: HttpException): AppError {
  const status = exception.getStatus();
  if (exception instanceof ThrottlerException) {
    return commonError('RATE_LIMITED', 'Too many requests; retry after the time given in Retry-After');
  }
  const message = exception.message;
  switch (status) {
    case HttpStatus.NOT_FOUND:
      return commonError(
        'ROUTE_NOT_FOUND',
        message.startsWith('Cannot ') ? `No route: ${message.slice(7)}` : message,
      );
    case HttpStatus.PAYLOAD_TOO_LARGE:
      return commonError('PAYLOAD_TOO_LARGE', message);
    case HttpStatus.UNAUTHORIZED:
      return commonError('UNAUTHENTICATED', 'Authentication required');
    case HttpStatus.FORBIDDEN:
      return commonError('FORBIDDEN', message);
    case HttpStatus.BAD_REQUEST:
      return commonError('VALIDATION_FAILED', message);
    default:
      return new AppError(status >= 500 ? 'INTERNAL_ERROR' : 'HTTP_ERROR', message, status);
  }
}

/** The one global filter: every error leaves as the envelope of STYLE.md. */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  /** `routes`: the methods of each path, so that a known path with another method is a 405. */
  constructor(private readonly routes?: RouteMethods) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const req = ctx.getRequest<Request>();
    const res = ctx.getResponse<Response>();
    // Mapped (and logged, when unexpected) whether or not the response can still carry it.
    const error = this.toAppError(exception, req);
    if (res.headersSent) {
      // A streamed response already started; the stream's own error event reports it.
      res.end();
      return;
    }
    const allowed = this.isNoRoute(exception) ? (this.routes?.allowed(req.path) ?? []) : [];
    const allow = allowed.join(', ');
    if (allowed.length > 0 && req.method === 'OPTIONS') {
      res.status(204).setHeader('Allow', allow);
      res.end();
      return;
    }
    if (allowed.length > 0 && !allowed.includes(req.method)) {
      return sendError(
        req,
        res,
        commonError(
          'METHOD_NOT_ALLOWED',
          `${req.method} is not allowed on ${req.path}; it answers ${allow}`,
          [{ field: 'method', code: 'notAllowed', message: `allowed: ${allow}` }],
          { Allow: allow },
        ),
      );
    }
    sendError(req, res, error);
  }

  /** The router's own 404: no handler has this method and path. */
  private isNoRoute(exception: unknown): boolean {
    return exception instanceof NotFoundException && exception.message.startsWith('Cannot ');
  }

  /** The envelope's error; an unexpected one is logged with the request it failed. */
  private toAppError(exception: unknown, req: Request): AppError {
    if (exception instanceof AppError) return exception;
    if (exception instanceof HttpException) return fromHttpException(exception);
    const request = { id: requestIdOf(req), method: req.method, url: req.originalUrl };
    if (isDatabaseUnavailable(exception)) {
      this.logger.warn({ err: exception, req: request }, 'database unavailable');
      return commonError('DATABASE_UNAVAILABLE', 'The database is unavailable; retry shortly');
    }
    if (exception instanceof QueryFailedError) {
      this.logger.error({ err: exception, req: request }, 'query failed');
    } else {
      this.logger.error({ err: exception, req: request }, 'unhandled error');
    }
    return commonError('INTERNAL_ERROR', 'Internal server error; quote the request id when reporting it');
  }
}
