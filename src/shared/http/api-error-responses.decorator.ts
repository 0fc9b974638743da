import { applyDecorators } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiNotFoundResponse,
  ApiPreconditionFailedResponse,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { ErrorEnvelopeDto } from '../errors/error-envelope.dto';

type ErrorStatus = 400 | 404 | 409 | 412 | 422;

const RESPONSES: Record<ErrorStatus, () => MethodDecorator & ClassDecorator> = {
  400: () =>
    ApiBadRequestResponse({
      description: 'Invalid request: details name each field',
      type: ErrorEnvelopeDto,
    }),
  404: () => ApiNotFoundResponse({ description: 'Not found in your tenant', type: ErrorEnvelopeDto }),
  409: () => ApiConflictResponse({ description: 'Conflicts with the current state', type: ErrorEnvelopeDto }),
  412: () => ApiPreconditionFailedResponse({ description: 'If-Match is stale', type: ErrorEnvelopeDto }),
  422: () =>
    ApiUnprocessableEntityResponse({ description: 'Valid JSON that breaks a rule', type: ErrorEnvelopeDto }),
};

/** Documents the error envelope for each listed status (401/403/429 come with RequirePermission). */
export function ApiErrors(...statuses: ErrorStatus[]): MethodDecorator & ClassDecorator {
  return applyDecorators(...statuses.map((status) => RESPONSES[status]()));
}
