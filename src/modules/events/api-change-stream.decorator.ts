import { applyDecorators } from '@nestjs/common';
import { ApiOkResponse } from '@nestjs/swagger';
import { ApiErrorResponse, ApiErrors } from '../../shared/http/api-error-responses.decorator';

/**
 * Documents a change-event SSE route: the stream itself, 410 for a pruned resume point, 400.
 * The stream is declared on the 200 alone (no `@ApiProduces`, which would apply to every response,
 * RequirePermission's 401/403/429 included): errors are JSON envelopes.
 */
export function ApiChangeStream(): MethodDecorator {
  return applyDecorators(
    ApiOkResponse({
      description: 'text/event-stream of change events (`id:` = change id)',
      content: { 'text/event-stream': { schema: { type: 'string' } } },
    }),
    ApiErrorResponse(410, 'The resume point was pruned'),
    ApiErrors(400),
  );
}
