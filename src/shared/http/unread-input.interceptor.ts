import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import type { Request } from 'express';
import type { Observable } from 'rxjs';
import type { ErrorDetail } from '../errors/app-error';
import { unknownField, validationFailed } from './validation';

/** What of the request a handler reads, beside its path: its query and its body. */
interface Reads {
  /** A whole query DTO (the validation pipe judges it), or only these names. */
  query: { dto: true } | { dto: false; names: ReadonlySet<string> };
  body: boolean;
}

interface RouteArg {
  index: number;
  data?: unknown;
}

/**
 * Refuses input a handler would not read, with a 400 naming it, as the validation pipe answers
 * for what a DTO does not declare: on routes without a query DTO, a query parameter the handler
 * does not read or one given twice (every parameter the API takes is one value); on routes that
 * take no body, a body with fields (an empty `{}` is let through). Before, such input was ignored,
 * so a typo such as `?versoin=3`, or a `{"reason": …}` sent to cancel, answered as if it were not there.
 */
@Injectable()
export class UnreadInputInterceptor implements NestInterceptor {
  private readonly reads = new WeakMap<object, Reads>();

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const reads = this.readsOf(context);
    const req = context.switchToHttp().getRequest<Request>();
    const details = [
      ...(reads.query.dto ? [] : queryProblems(req.query, reads.query.names)),
      ...(reads.body ? [] : bodyProblems(req.body)),
    ];
    if (details.length > 0) throw validationFailed(details);
    return next.handle();
  }

  private readsOf(context: ExecutionContext): Reads {
    const handler = context.getHandler();
    let reads = this.reads.get(handler);
    if (!reads) {
      const args = Object.entries(
        (Reflect.getMetadata(ROUTE_ARGS_METADATA, context.getClass(), handler.name) ?? {}) as Record<
          string,
          RouteArg
        >,
      );
      const of = (type: RouteParamtypes) =>
        args.filter(([key]) => key.split(':')[0] === String(type)).map(([, arg]) => arg.data);
      const queries = of(RouteParamtypes.QUERY);
      reads = {
        query: queries.some((data) => typeof data !== 'string')
          ? { dto: true }
          : { dto: false, names: new Set(queries as string[]) },
        body: of(RouteParamtypes.BODY).length > 0,
      };
      this.reads.set(handler, reads);
    }
    return reads;
  }
}

function queryProblems(query: Request['query'], names: ReadonlySet<string>): ErrorDetail[] {
  const details: ErrorDetail[] = [];
  for (const [name, value] of Object.entries(query)) {
    if (!names.has(name)) {
      details.push(unknownField(name));
    } else if (typeof value !== 'string') {
      details.push({ field: name, code: 'repeated', message: `${name} must be given once` });
    }
  }
  return details;
}

/** The body parser leaves `body` unset without one; what it parsed is an object (arrays are refused before). */
function bodyProblems(body: unknown): ErrorDetail[] {
  if (body === undefined || body === null || typeof body !== 'object') return [];
  return Object.keys(body).map((name) => unknownField(name, 'this operation takes no body'));
}
