import { defineErrors } from '../../shared/errors/app-error';

export type TenantErrorCode = 'TENANT_NOT_FOUND' | 'TENANT_SLUG_TAKEN';

export const tenantError = defineErrors<TenantErrorCode>({
  TENANT_NOT_FOUND: 404,
  TENANT_SLUG_TAKEN: 409,
});
