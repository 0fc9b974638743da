import { ParseUUIDPipe } from '@nestjs/common';
import { commonError } from '../errors/common.errors';

/**
 * A value shaped like a UUID, of any version. Where a route takes an id or a name (a tenant's id or
 * slug, an agent's id or name), such a value is read as an id, so no slug or name may have it.
 */
export const UUID_SHAPE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `@Param('id', UuidParam) id: string`: a malformed id is a 400 in the envelope, not a database error. */
export const UuidParam = new ParseUUIDPipe({
  version: undefined,
  exceptionFactory: () =>
    commonError('VALIDATION_FAILED', 'Validation failed: id must be a UUID', [
      { field: 'id', code: 'isUuid', message: 'id must be a UUID' },
    ]),
});
