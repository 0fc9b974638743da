import { defineErrors } from '../../shared/errors/app-error';

export type TemplateErrorCode =
  'TEMPLATE_NOT_FOUND' | 'TEMPLATE_NAME_TAKEN' | 'PLATFORM_REQUIRED' | 'TIER_LIMIT_EXCEEDED';

export const templateError = defineErrors<TemplateErrorCode>({
  TEMPLATE_NOT_FOUND: 404,
  TEMPLATE_NAME_TAKEN: 409,
  PLATFORM_REQUIRED: 403,
  TIER_LIMIT_EXCEEDED: 422,
});
