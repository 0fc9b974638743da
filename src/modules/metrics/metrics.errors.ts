import { defineErrors } from '../../shared/errors/app-error';

export type MetricsErrorCode = 'METRICS_DISABLED' | 'METRICS_TOKEN_INVALID';

export const metricsError = defineErrors<MetricsErrorCode>({
  METRICS_DISABLED: 404,
  METRICS_TOKEN_INVALID: 401,
});
