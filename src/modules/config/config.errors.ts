import { defineErrors } from '../../shared/errors/app-error';

export type ConfigErrorCode = 'COMPONENT_NOT_FOUND' | 'COMPONENT_IN_USE' | 'COMPONENT_CONFIG_INVALID';

export const configError = defineErrors<ConfigErrorCode>({
  COMPONENT_NOT_FOUND: 404,
  COMPONENT_IN_USE: 409,
  COMPONENT_CONFIG_INVALID: 422,
});
