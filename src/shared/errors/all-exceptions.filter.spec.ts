import { HttpException, HttpStatus, Logger, LoggerService, NotFoundException } from '@nestjs/common';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import { ThrottlerException } from '@nestjs/throttler';
import express, { NextFunction, Request, Response } from 'express';
import request from 'supertest';
import { QueryFailedError } from 'typeorm';
import { requestContextMiddleware } from '../http/request-context';
import { AllExceptionsFilter } from './all-exceptions.filter';
import { commonError } from './common.errors';

interface LogCall {
  level: 'log' | 'error' | 'warn';
  message: unknown;
  params: unknown[];
}

/** A real LoggerService that keeps what it is given, installed as Nest's logger for this file. */
class RecordingLogger implements LoggerService {
  readonly calls: LogCall[] = [];
  log(message: unknown, ...params: unknown[]): void {
    this.calls.push({ level: 'log', message, params });
  }
  error(message: unknown, ...params: unknown[]): void {
    this.calls.push({ level: 'error', message, params });
  }
  warn(message: unknown, ...params: unknown[]): void {
    this.calls.push({ level: 'warn', message, params });
  }
}

/**
 * An Express app whose one route throws `thrown` (or whatever `handle` does) into the filter
 * through a real ArgumentsHost over the real req and res, behind the real request-id middleware.
 */
function appThrowing(thrown: () => unknown, handle?: (req: Request, res: Response) => void) {
  const filter = new AllExceptionsFilter();
  const app = express();
  app.use(requestContextMiddleware);
  app.get('/api/v1/boom', (req: Request, res: Response, next: NextFunction) => {
    handle?.(req, res);
    filter.catch(thrown(), new ExecutionContextHost([req, res, next]));
  });
  return app;
}

describe('AllExceptionsFilter', () => {
  let logger: RecordingLogger;

  beforeEach(() => {
    logger = new RecordingLogger();
    Logger.overrideLogger(logger);
  });

  it('turns an unknown error into a 500 with a generic message, and logs the error object', async () => {
    const secret = new Error('connection string postgres://admin:hunter2@db/prod leaked');
    const res = await request(appThrowing(() => secret))
      .get('/api/v1/boom?x=1')
      .set('X-Request-Id', 'req-500');
    expect(res.status).toBe(500);
    expect(res.headers['x-request-id']).toBe('req-500');
    expect(res.body).toEqual({
      error: {
        type: 'InternalError',
        code: 'INTERNAL_ERROR',
        message: 'Internal server error; quote the request id when reporting it',
        details: [],
        path: '/api/v1/boom',
        request_id: 'req-500',
      },
    });
    expect(res.text).not.toContain('hunter2');
    expect(res.text).not.toContain('stack');

    const errors = logger.calls.filter((call) => call.level === 'error');
    expect(errors).toHaveLength(1);
    // The line names the request it failed, as the answer does.
    expect(errors[0].message).toEqual({
      err: secret,
      req: { id: 'req-500', method: 'GET', url: '/api/v1/boom?x=1' },
    });
    expect(errors[0].params).toEqual(['unhandled error', 'Errors']);
  });

  it('treats a thrown non-Error the same way', async () => {
    const res = await request(appThrowing(() => 'a string')).get('/api/v1/boom');
    expect(res.status).toBe(500);
    expect(res.body.error.code).toBe('INTERNAL_ERROR');
    expect(res.body.error.request_id).toBe(res.headers['x-request-id']);
    expect(logger.calls).toEqual([
      {
        level: 'error',
        message: { err: 'a string', req: expect.objectContaining({ id: res.headers['x-request-id'] }) },
        params: expect.any(Array),
      },
    ]);
  });

  it('logs a failed query at error level and answers only the generic 500', async () => {
    const failed = new QueryFailedError(
      'SELECT secret FROM t',
      [],
      new Error('column "secret" does not exist'),
    );
    const res = await request(appThrowing(() => failed)).get('/api/v1/boom');
    expect(res.status).toBe(500);
    expect(res.body.error.message).toBe('Internal server error; quote the request id when reporting it');
    expect(res.text).not.toContain('secret');
    expect(logger.calls).toEqual([
      {
        level: 'error',
        message: { err: failed, req: expect.objectContaining({ url: '/api/v1/boom' }) },
        params: ['query failed', 'Errors'],
      },
    ]);
  });

  it('answers 503 DATABASE_UNAVAILABLE when the database cannot be reached', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    const res = await request(appThrowing(() => refused)).get('/api/v1/boom');
    expect(res.status).toBe(503);
    expect(res.body.error).toEqual(
      expect.objectContaining({ code: 'DATABASE_UNAVAILABLE', type: 'DatabaseUnavailable' }),
    );
    expect(logger.calls.map((call) => call.level)).toEqual(['warn']);
  });

  it('passes an AppError through with its status, details and headers, without logging it', async () => {
    const error = commonError('RATE_LIMITED', 'slow down', [{ message: 'one' }], { 'Retry-After': '7' });
    const res = await request(appThrowing(() => error)).get('/api/v1/boom');
    expect(res.status).toBe(429);
    expect(res.headers['retry-after']).toBe('7');
    expect(res.body.error).toEqual(
      expect.objectContaining({
        type: 'RateLimited',
        code: 'RATE_LIMITED',
        message: 'slow down',
        details: [{ message: 'one' }],
      }),
    );
    expect(logger.calls).toEqual([]);
  });

  it.each([
    [new NotFoundException('Cannot GET /api/v1/x'), 404, 'ROUTE_NOT_FOUND', 'No route: GET /api/v1/x'],
    [
      new ThrottlerException(),
      429,
      'RATE_LIMITED',
      'Too many requests; retry after the time given in Retry-After',
    ],
    [new HttpException('bad', HttpStatus.BAD_REQUEST), 400, 'VALIDATION_FAILED', 'bad'],
    [new HttpException('nope', HttpStatus.UNAUTHORIZED), 401, 'UNAUTHENTICATED', 'Authentication required'],
    [new HttpException('teapot', 418), 418, 'HTTP_ERROR', 'teapot'],
  ])('maps %p onto the envelope', async (exception, status, code, message) => {
    const res = await request(appThrowing(() => exception)).get('/api/v1/boom');
    expect(res.status).toBe(status);
    expect(res.body.error).toEqual(expect.objectContaining({ code, message, path: '/api/v1/boom' }));
  });

  it('ends a response that has already started instead of writing a second one', async () => {
    const app = appThrowing(
      () => new Error('mid-stream'),
      (_req, res) => {
        res.status(200).setHeader('Content-Type', 'text/plain');
        res.write('partial');
      },
    );
    const res = await request(app).get('/api/v1/boom');
    expect(res.status).toBe(200);
    expect(res.text).toBe('partial');
    expect(logger.calls.map((call) => call.level)).toEqual(['error']);
  });
});
