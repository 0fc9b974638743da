import { defineErrors } from '../../shared/errors/app-error';

export type InternalErrorCode = 'AGENT_NOT_FOUND' | 'LABEL_NOT_FOUND' | 'VERSION_NOT_FOUND';

export const internalError = defineErrors<InternalErrorCode>({
  AGENT_NOT_FOUND: 404,
  LABEL_NOT_FOUND: 404,
  VERSION_NOT_FOUND: 404,
});
