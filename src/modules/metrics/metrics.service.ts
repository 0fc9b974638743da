import { Injectable } from '@nestjs/common';
import type { Principal } from '../../shared/auth/principal';
import { commonError } from '../../shared/errors/common.errors';
import type { AgentMetricsQueryDto, Granularity } from './dto/agent-metrics-query.dto';
import type {
  AgentMetricsResponseDto,
  MetricsPointDto,
  RunTotalsDto,
  VersionTotalsDto,
} from './dto/agent-metrics-response.dto';
import type { SystemMetricsResponseDto, SystemTotalsDto } from './dto/system-metrics-response.dto';
import { HISTOGRAM_SIZE, histogramQuantile, mergeHistograms } from './duration-histogram';
import { metricsError } from './metrics.errors';
import { MetricsRepository, RollupRow, SystemRow } from './metrics.repository';

const HOUR = 3_600_000;
const DEFAULT_SPAN: Record<Granularity, number> = {
  hour: 24 * HOUR,
  day: 30 * 24 * HOUR,
  week: 12 * 7 * 24 * HOUR,
};
const MAX_BUCKETS = 1_000;

/** Start of the UTC bucket holding `time` (weeks start on Monday, as PostgreSQL's date_trunc). */
export function bucketStart(time: Date, granularity: Granularity): Date {
  // Truncated from the time itself: Date.UTC would read the years 0 to 99 as 1900 to 1999.
  const d = new Date(time.getTime() - (((time.getTime() % HOUR) + HOUR) % HOUR));
  if (granularity === 'hour') return d;
  d.setUTCHours(0);
  if (granularity === 'week') d.setUTCDate(d.getUTCDate() - ((d.getUTCDay() + 6) % 7));
  return d;
}

function nextBucket(start: Date, granularity: Granularity): Date {
  const d = new Date(start);
  if (granularity === 'hour') d.setUTCHours(d.getUTCHours() + 1);
  else d.setUTCDate(d.getUTCDate() + (granularity === 'day' ? 1 : 7));
  return d;
}

class Accumulator {
  completed = 0;
  failed = 0;
  cancelled = 0;
  durationSum = 0;
  tokens = 0;
  histogram = new Array<number>(HISTOGRAM_SIZE).fill(0);

  add(row: RollupRow): void {
    this.completed += row.completed;
    this.failed += row.failed;
    this.cancelled += row.cancelled;
    this.durationSum += row.duration_sum;
    this.tokens += Number(row.tokens);
    mergeHistograms(this.histogram, row.duration_histogram);
  }

  get runs(): number {
    return this.completed + this.failed + this.cancelled;
  }

  totals(): RunTotalsDto {
    const runs = this.runs;
    return {
      total_runs: runs,
      completed: this.completed,
      failed: this.failed,
      cancelled: this.cancelled,
      success_rate: runs ? round(this.completed / runs) : 0,
      avg_duration: runs ? round(this.durationSum / runs) : 0,
      p95_duration: histogramQuantile(this.histogram, 0.95),
      total_tokens: this.tokens,
      avg_tokens_per_run: runs ? round(this.tokens / runs) : 0,
    };
  }
}

function round(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}

@Injectable()
export class MetricsService {
  constructor(private readonly metrics: MetricsRepository) {}

  async agent(
    principal: Principal,
    agentId: string,
    query: AgentMetricsQueryDto,
  ): Promise<AgentMetricsResponseDto> {
    const tenantId = this.tenantOf(principal);
    const granularity = query.granularity;
    const end = query.end_time ?? new Date();
    const start = query.start_time ?? new Date(end.getTime() - DEFAULT_SPAN[granularity]);
    if (start >= end) {
      throw metricsError('INVALID_RANGE', 'start_time must be before end_time', [
        { field: 'start_time', code: 'range', message: 'start_time must be before end_time' },
      ]);
    }
    const buckets: Date[] = [];
    for (let at = bucketStart(start, granularity); at < end; at = nextBucket(at, granularity)) {
      buckets.push(at);
      if (buckets.length > MAX_BUCKETS) {
        throw metricsError(
          'INVALID_RANGE',
          `The period holds more than ${MAX_BUCKETS} ${granularity} buckets; narrow it or widen granularity`,
          [{ field: 'granularity', code: 'tooManyBuckets', message: `at most ${MAX_BUCKETS} buckets` }],
        );
      }
    }
    if (!(await this.metrics.agentExists(tenantId, agentId))) {
      throw metricsError('AGENT_NOT_FOUND', `Agent ${agentId} was not found`);
    }
    const [rows, inProgress] = await Promise.all([
      this.metrics.agentRollups(tenantId, agentId, granularity, start, end),
      this.metrics.agentInProgress(tenantId, agentId),
    ]);

    const total = new Accumulator();
    const perBucket = new Map<number, { all: Accumulator; versions: Map<number, Accumulator> }>();
    const perVersion = new Map<number, Accumulator>();
    for (const row of rows) {
      total.add(row);
      const key = bucketStart(new Date(row.bucket), granularity).getTime();
      let point = perBucket.get(key);
      if (!point) perBucket.set(key, (point = { all: new Accumulator(), versions: new Map() }));
      point.all.add(row);
      const inBucket = point.versions.get(row.version) ?? new Accumulator();
      inBucket.add(row);
      point.versions.set(row.version, inBucket);
      const version = perVersion.get(row.version) ?? new Accumulator();
      version.add(row);
      perVersion.set(row.version, version);
    }

    const timeseries: MetricsPointDto[] = buckets.map((at) => {
      const point = perBucket.get(at.getTime());
      const all = point?.all ?? new Accumulator();
      return {
        timestamp: at.toISOString(),
        runs: all.runs,
        completed: all.completed,
        failed: all.failed,
        cancelled: all.cancelled,
        tokens: all.tokens,
        avg_duration: all.runs ? round(all.durationSum / all.runs) : 0,
        by_version: [...(point?.versions ?? new Map<number, Accumulator>()).entries()]
          .sort(([a], [b]) => a - b)
          .map(([version, acc]) => ({ version, runs: acc.runs, failed: acc.failed })),
      };
    });
    const byVersion: VersionTotalsDto[] = [...perVersion.entries()]
      .sort(([a], [b]) => a - b)
      .map(([version, acc]) => ({ version, ...acc.totals() }));
    return {
      agent_id: agentId,
      granularity,
      period: { start: start.toISOString(), end: end.toISOString() },
      metrics: total.totals(),
      in_progress: inProgress,
      timeseries,
      by_version: byVersion,
    };
  }

  /** A tenant's figures for its users; every tenant's, with a breakdown, for platform operators. */
  async system(principal: Principal): Promise<SystemMetricsResponseDto> {
    if (principal.platform) {
      const rows = await this.metrics.system(null);
      return {
        scope: 'platform',
        ...sumSystem(rows),
        tenants: rows.map((row) => ({ tenant_id: row.tenant_id, slug: row.slug, ...sumSystem([row]) })),
      };
    }
    const rows = await this.metrics.system(this.tenantOf(principal));
    return { scope: 'tenant', ...sumSystem(rows) };
  }

  private tenantOf(principal: Principal): string {
    if (!principal.tenant)
      throw commonError('TENANT_REQUIRED', 'This route reads one tenant; the credentials name none');
    return principal.tenant.id;
  }
}

function sumSystem(rows: SystemRow[]): SystemTotalsDto {
  const sum = (pick: (row: SystemRow) => number) => rows.reduce((total, row) => total + pick(row), 0);
  const finished = sum((row) => row.finished_24h);
  return {
    total_agents: sum((row) => row.total_agents),
    total_runs: sum((row) => row.total_runs),
    active_runs: sum((row) => row.active_runs),
    total_tokens_today: sum((row) => Number(row.tokens_today)),
    avg_response_time: finished ? round(sum((row) => row.duration_24h) / finished) : 0,
    error_rate: finished ? round(sum((row) => row.failed_24h) / finished) : 0,
  };
}
