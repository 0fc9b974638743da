import type { NestExpressApplication } from '@nestjs/platform-express';
import { SwaggerModule } from '@nestjs/swagger';
import express, { NextFunction, Request, Response } from 'express';
import helmet from 'helmet';
import { AGENT_OPENAPI_SCHEMAS } from './modules/agents/dto/agent-config-fields.dto';
import { InternalConfigFastPath } from './modules/internal/internal-config.fast-path';
import { commonError } from './shared/errors/common.errors';
import { AllExceptionsFilter } from './shared/errors/all-exceptions.filter';
import { sendError } from './shared/errors/error-response';
import { httpMetricsMiddleware } from './shared/metrics/http-metrics.middleware';
import { applyGlobalPrefix, buildOpenApiDocument } from './shared/http/openapi';
import { requestContextMiddleware } from './shared/http/request-context';
import { requestLogMiddleware, ROOT_LOGGER } from './shared/logging/logging.module';
import { UnreadInputInterceptor } from './shared/http/unread-input.interceptor';
import { RouteMethods } from './shared/http/route-methods';
import { createValidationPipe } from './shared/http/validation';
import type { AppSettings } from './shared/settings/settings';

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/**
 * Deeper than any body the API takes (configs stop at 10 levels). Without this cap, a body of a few
 * thousand nested arrays overflowed the stack in class-transformer and answered 500 (found by the
 * fuzz suite).
 */
const MAX_BODY_DEPTH = 64;

/**
 * Keys that Nest's ValidationPipe deletes at every depth (its prototype-pollution defence): a body
 * holding one is refused with a 400 naming it, instead of losing that part of the body unseen.
 */
const RESERVED_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

type BodyProblem =
  | { kind: 'notObject'; found: string }
  | { kind: 'depth' }
  | { kind: 'reservedKey'; key: string; path: string };

/** How a message names a parsed JSON value that is not an object. */
function jsonKind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

/** What is wrong with a parsed body's shape, if anything; iterative, so depth cannot overflow it. */
function inspectBody(body: unknown): BodyProblem | null {
  if (body === undefined) return null; // no body was sent
  // Every body the API takes is an object; an array would only be read as an object's fields "0",
  // "1"..., and null, a number, a string or a boolean as no fields at all.
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return { kind: 'notObject', found: jsonKind(body) };
  }
  const stack: Array<[unknown, number, string]> = [[body, 0, '']];
  while (stack.length > 0) {
    const [value, depth, path] = stack.pop() as [unknown, number, string];
    if (value === null || typeof value !== 'object') continue;
    if (depth >= MAX_BODY_DEPTH) return { kind: 'depth' };
    const isArray = Array.isArray(value);
    for (const key of Object.keys(value)) {
      const at = path ? `${path}.${key}` : key;
      if (!isArray && RESERVED_KEYS.has(key)) return { kind: 'reservedKey', key, path: at };
      stack.push([(value as Record<string, unknown>)[key], depth + 1, at]);
    }
  }
  return null;
}

function bodyShapeError(problem: BodyProblem) {
  if (problem.kind === 'notObject') {
    return commonError(
      'VALIDATION_FAILED',
      `Validation failed: the request body must be a JSON object, not ${problem.found}`,
    );
  }
  if (problem.kind === 'depth') {
    return commonError('VALIDATION_FAILED', `Request body nests deeper than ${MAX_BODY_DEPTH} levels`);
  }
  return commonError(
    'VALIDATION_FAILED',
    `Validation failed: the key "${problem.key}" is not accepted in a body`,
    [
      {
        field: problem.path,
        code: 'reservedKey',
        message: `"${problem.key}" cannot be used as a key anywhere in a body`,
      },
    ],
  );
}

/** JSON bodies only; parse failures and oversize bodies answer in the envelope. */
function jsonBodies(settings: AppSettings) {
  const parse = express.json({
    limit: settings.bodyLimitBytes,
    // Any JSON value is parsed, so that a body which is JSON but not an object is told so
    // (inspectBody) instead of being called invalid JSON.
    strict: false,
    type: ['application/json', 'application/*+json'],
  });
  return (req: Request, res: Response, next: NextFunction): void => {
    const hasBody =
      Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
    if (hasBody && BODY_METHODS.has(req.method) && !req.is(['application/json', 'application/*+json'])) {
      return sendError(req, res, commonError('UNSUPPORTED_MEDIA_TYPE', 'Send the body as application/json'));
    }
    parse(req, res, (err?: { type?: string; message?: string }) => {
      if (!err) {
        const problem = inspectBody(req.body);
        return problem ? sendError(req, res, bodyShapeError(problem)) : next();
      }
      if (err.type === 'entity.too.large') {
        return sendError(
          req,
          res,
          commonError(
            'PAYLOAD_TOO_LARGE',
            `Request body exceeds the limit of ${settings.bodyLimitBytes} bytes`,
          ),
        );
      }
      if (err.type === 'charset.unsupported' || err.type === 'encoding.unsupported') {
        return sendError(
          req,
          res,
          commonError(
            'UNSUPPORTED_MEDIA_TYPE',
            `Send the body as application/json in UTF-8 (Content-Encoding gzip, deflate, br or none): ${err.message}`,
          ),
        );
      }
      if (err.type === 'entity.parse.failed') {
        return sendError(
          req,
          res,
          commonError('MALFORMED_JSON', `Request body is not valid JSON: ${err.message}`),
        );
      }
      return sendError(
        req,
        res,
        commonError('VALIDATION_FAILED', `Request body could not be read: ${err.message}`),
      );
    });
  };
}

/** Everything between creating the app and listening; tests call it too, so they run the real stack. */
export function configureApp(app: NestExpressApplication, settings: AppSettings): void {
  app.disable('x-powered-by');
  // ETags are set explicitly where they carry meaning; Express's weak body hashes would not.
  app.set('etag', false);
  // First of all, ahead of Express: cache hits of the execution services' config read.
  app.get(InternalConfigFastPath).mount(app.getHttpServer());
  app.use(requestContextMiddleware);
  const requestLogs = requestLogMiddleware(app.get(ROOT_LOGGER), settings);
  if (requestLogs) app.use(requestLogs);
  app.use(httpMetricsMiddleware);
  const strict = helmet();
  const docs = helmet({ contentSecurityPolicy: false });
  app.use((req: Request, res: Response, next: NextFunction) =>
    (req.path.startsWith('/docs') ? docs : strict)(req, res, next),
  );
  // CORS before the body is read: an error the body parser answers (malformed JSON, 413, 415)
  // must reach a browser as its envelope, not as an opaque network error.
  if (settings.corsOrigins.length > 0) {
    app.enableCors({
      origin: settings.corsOrigins.includes('*') ? true : settings.corsOrigins,
      exposedHeaders: ['ETag', 'Location', 'X-Request-Id', 'Retry-After', 'X-Run-Id', 'X-Session-Id'],
      maxAge: 600,
    });
  }
  app.use(jsonBodies(settings));
  applyGlobalPrefix(app);
  app.useGlobalPipes(createValidationPipe());
  const document = buildOpenApiDocument(app, settings.version, AGENT_OPENAPI_SCHEMAS);
  app.useGlobalFilters(new AllExceptionsFilter(RouteMethods.fromDocument(document)));
  app.useGlobalInterceptors(new UnreadInputInterceptor());

  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'docs-json',
    swaggerOptions: { persistAuthorization: true, displayOperationId: true },
  });
}
