import { ParseUUIDPipe } from '@nestjs/common';
import { commonError } from '../errors/common.errors';

/** `@Param('id', UuidParam) id: string`: a malformed id is a 400 in the envelope, not a database error. */
export const UuidParam = new ParseUUIDPipe({
  version: undefined,
  exceptionFactory: () =>
    commonError('VALIDATION_FAILED', 'Validation failed: id must be a UUID', [
      { field: 'id', code: 'isUuid', message: 'id must be a UUID' },
    ]),
});
