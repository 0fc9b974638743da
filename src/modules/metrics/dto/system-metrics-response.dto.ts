export class SystemTotalsDto {
  total_agents: number;
  /** Finished runs, all time. */
  total_runs: number;
  /** Runs queued, running or paused now. */
  active_runs: number;
  /** Tokens of runs started today (UTC). */
  total_tokens_today: number;
  /** Mean run duration over the last 24 hours, in seconds. */
  avg_response_time: number;
  /** failed / finished over the last 24 hours. */
  error_rate: number;
}

export class TenantSystemTotalsDto extends SystemTotalsDto {
  tenant_id: string;
  slug: string;
}

export class SystemMetricsResponseDto extends SystemTotalsDto {
  /** `tenant` for a tenant's users; `platform` (every tenant) for platform operators. */
  scope: string;
  /** Platform operators only: the same figures per tenant. */
  tenants?: TenantSystemTotalsDto[];
}
