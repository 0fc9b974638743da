import { applyDecorators } from '@nestjs/common';
import { ApiGoneResponse, ApiOkResponse, ApiProduces } from '@nestjs/swagger';
import { ErrorEnvelopeDto } from '../../shared/errors/error-envelope.dto';
import { ApiErrors } from '../../shared/http/api-error-responses.decorator';

/** Documents a change-event SSE route: the stream itself, 410 for a pruned resume point, 400. */
export function ApiChangeStream(): MethodDecorator {
  return applyDecorators(
    ApiProduces('text/event-stream'),
    ApiOkResponse({ description: 'text/event-stream of change events (`id:` = change id)' }),
    ApiGoneResponse({ type: ErrorEnvelopeDto, description: 'The resume point was pruned' }),
    ApiErrors(400),
  );
}
