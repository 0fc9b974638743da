import { defineErrors } from '../../shared/errors/app-error';

export type ApiKeyErrorCode = 'API_KEY_NOT_FOUND' | 'ROLE_NOT_GRANTABLE';

export const apiKeyError = defineErrors<ApiKeyErrorCode>({
  API_KEY_NOT_FOUND: 404,
  ROLE_NOT_GRANTABLE: 403,
});
