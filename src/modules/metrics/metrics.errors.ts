import { defineErrors } from '../../shared/errors/app-error';

export type MetricsErrorCode =
  'METRICS_DISABLED' | 'METRICS_TOKEN_INVALID' | 'AGENT_NOT_FOUND' | 'INVALID_RANGE';

export const metricsError = defineErrors<MetricsErrorCode>({
  METRICS_DISABLED: 404,
  METRICS_TOKEN_INVALID: 401,
  AGENT_NOT_FOUND: 404,
  INVALID_RANGE: 400,
});
