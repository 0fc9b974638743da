import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import { ErrorEnvelopeDto } from '../errors/error-envelope.dto';

type ErrorStatus = 400 | 404 | 409 | 412 | 422;

const DESCRIPTIONS: Record<ErrorStatus, string> = {
  400: 'Invalid request: details name each field',
  404: 'Not found in your tenant',
  409: 'Conflicts with the current state',
  412: 'If-Match is stale',
  422: 'Valid JSON that breaks a rule',
};

/**
 * Documents one error response: the error envelope, as `application/json`. The content is spelt
 * out rather than given as a `type`, because a `type` is listed under every media type of the
 * route's `@ApiProduces`: a stream route would document its errors as `text/event-stream`, while
 * the global filter always answers them with the JSON envelope.
 */
export function ApiErrorResponse(status: number, description: string): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiExtraModels(ErrorEnvelopeDto),
    ApiResponse({
      status,
      description,
      content: { 'application/json': { schema: { $ref: getSchemaPath(ErrorEnvelopeDto) } } },
    }),
  );
}

/** Documents the error envelope for each listed status (401/403/429 come with RequirePermission). */
export function ApiErrors(...statuses: ErrorStatus[]): MethodDecorator & ClassDecorator {
  return applyDecorators(...statuses.map((status) => ApiErrorResponse(status, DESCRIPTIONS[status])));
}
