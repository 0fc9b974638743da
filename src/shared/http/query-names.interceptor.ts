import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import type { Request } from 'express';
import type { Observable } from 'rxjs';
import type { ErrorDetail } from '../errors/app-error';
import { commonError } from '../errors/common.errors';

/** The query a handler reads: a whole DTO (the validation pipe judges it) or these names. */
type QueryShape = { dto: true } | { dto: false; names: ReadonlySet<string> };

interface RouteArg {
  index: number;
  data?: unknown;
}

/**
 * Refuses, on routes without a query DTO, a query parameter the handler does not read and one
 * given more than once (every parameter the API takes is one value), with a 400 naming it, as the
 * validation pipe answers for routes with a DTO. Before, those routes ignored what they did not
 * read, so a typo such as `?versoin=3` answered as if it were absent.
 */
@Injectable()
export class QueryNamesInterceptor implements NestInterceptor {
  private readonly shapes = new WeakMap<object, QueryShape>();

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const shape = this.shapeOf(context);
    if (!shape.dto) {
      const details = problems(context.switchToHttp().getRequest<Request>().query, shape.names);
      if (details.length > 0) {
        const summary =
          details.length === 1 ? details[0].message : `${details.length} problems in the request`;
        throw commonError('VALIDATION_FAILED', `Validation failed: ${summary}`, details);
      }
    }
    return next.handle();
  }

  private shapeOf(context: ExecutionContext): QueryShape {
    const handler = context.getHandler();
    let shape = this.shapes.get(handler);
    if (!shape) {
      const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, context.getClass(), handler.name) ??
        {}) as Record<string, RouteArg>;
      const queries = Object.entries(args)
        .filter(([key]) => key.split(':')[0] === String(RouteParamtypes.QUERY))
        .map(([, arg]) => arg.data);
      shape = queries.some((data) => typeof data !== 'string')
        ? { dto: true }
        : { dto: false, names: new Set(queries as string[]) };
      this.shapes.set(handler, shape);
    }
    return shape;
  }
}

function problems(query: Request['query'], names: ReadonlySet<string>): ErrorDetail[] {
  const details: ErrorDetail[] = [];
  for (const [name, value] of Object.entries(query)) {
    if (!names.has(name)) {
      details.push({ field: name, code: 'unknownField', message: `property ${name} is not allowed` });
    } else if (typeof value !== 'string') {
      details.push({ field: name, code: 'repeated', message: `${name} must be given once` });
    }
  }
  return details;
}
