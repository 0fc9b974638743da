export class MetricsPeriodDto {
  start: string;
  end: string;
}

export class RunTotalsDto {
  /** Runs that finished (completed, failed or cancelled) and started in the period. */
  total_runs: number;
  completed: number;
  failed: number;
  cancelled: number;
  /** completed / total_runs; 0 without runs. */
  success_rate: number;
  /** Mean duration in seconds. */
  avg_duration: number;
  /** 95th percentile of durations in seconds (upper bound of its histogram bucket). */
  p95_duration: number;
  total_tokens: number;
  avg_tokens_per_run: number;
}

export class VersionTotalsDto extends RunTotalsDto {
  version: number;
}

export class VersionPointDto {
  version: number;
  runs: number;
  failed: number;
}

export class MetricsPointDto {
  /** Bucket start (UTC). */
  timestamp: string;
  runs: number;
  completed: number;
  failed: number;
  cancelled: number;
  tokens: number;
  avg_duration: number;
  /** The bucket's runs by agent version (versions without runs left out). */
  by_version: VersionPointDto[];
}

export class AgentMetricsResponseDto {
  agent_id: string;
  granularity: string;
  period: MetricsPeriodDto;
  metrics: RunTotalsDto;
  /** Runs queued, running or paused right now. */
  in_progress: number;
  /** Every bucket of the period, empty ones as zeros. */
  timeseries: MetricsPointDto[];
  /** Totals per agent version, so a bad version shows itself. */
  by_version: VersionTotalsDto[];
}
