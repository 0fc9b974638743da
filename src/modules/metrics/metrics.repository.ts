import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Granularity } from './dto/agent-metrics-query.dto';
import { HISTOGRAM_SIZE } from './duration-histogram';

export interface RollupRow {
  /** Start of the bucket of the asked granularity (UTC). */
  bucket: Date;
  version: number;
  completed: number;
  failed: number;
  cancelled: number;
  duration_sum: number;
  tokens: string;
  duration_histogram: number[];
}

/** Element-wise sums of the histogram arrays, as one array (plain aggregates: no unnest). */
const HISTOGRAM_SUMS = `ARRAY[${Array.from({ length: HISTOGRAM_SIZE }, (_, i) => `sum(duration_histogram[${i + 1}])::int`).join(', ')}]`;

export interface SystemRow {
  tenant_id: string;
  slug: string;
  total_agents: number;
  total_runs: number;
  active_runs: number;
  tokens_today: string;
  finished_24h: number;
  failed_24h: number;
  duration_24h: number;
}

/** Reads the hourly rollups (and the few unfinished runs); never scans the runs table. */
@Injectable()
export class MetricsRepository {
  constructor(private readonly dataSource: DataSource) {}

  async agentExists(tenantId: string, agentId: string): Promise<boolean> {
    const rows = (await this.dataSource.query(
      'SELECT 1 FROM agents WHERE tenant_id = $1 AND id = $2 AND deleted_at IS NULL',
      [tenantId, agentId],
    )) as unknown[];
    return rows.length > 0;
  }

  /**
   * One agent's rollups for hours in [start, end), summed per bucket of `granularity` and version
   * in the database: a few hundred rows whatever the number of runs.
   */
  agentRollups(
    tenantId: string,
    agentId: string,
    granularity: Granularity,
    start: Date,
    end: Date,
  ): Promise<RollupRow[]> {
    return this.dataSource.query(
      `SELECT date_trunc($3, bucket, 'UTC') AS bucket, agent_version AS version,
              sum(completed)::int AS completed, sum(failed)::int AS failed, sum(cancelled)::int AS cancelled,
              sum(duration_sum)::float8 AS duration_sum, sum(tokens)::text AS tokens,
              ${HISTOGRAM_SUMS} AS duration_histogram
       FROM run_stats_hourly
       WHERE agent_id = $2 AND tenant_id = $1 AND bucket >= date_trunc('hour', $4::timestamptz, 'UTC') AND bucket < $5
       GROUP BY 1, 2
       ORDER BY 1, 2`,
      [tenantId, agentId, granularity, start, end],
    );
  }

  async agentInProgress(tenantId: string, agentId: string): Promise<number> {
    const [row] = (await this.dataSource.query(
      `SELECT count(*)::int AS n FROM runs
       WHERE status IN ('queued', 'running', 'paused') AND tenant_id = $1 AND agent_id = $2`,
      [tenantId, agentId],
    )) as [{ n: number }];
    return row.n;
  }

  /** Per-tenant system figures; all tenants when `tenantId` is null (platform operators). */
  system(tenantId: string | null): Promise<SystemRow[]> {
    return this.dataSource.query(
      `SELECT t.id AS tenant_id, t.slug,
              (SELECT count(*)::int FROM agents a WHERE a.tenant_id = t.id AND a.deleted_at IS NULL) AS total_agents,
              COALESCE(r.total_runs, 0)::int AS total_runs,
              (SELECT count(*)::int FROM runs x WHERE x.status IN ('queued', 'running', 'paused') AND x.tenant_id = t.id) AS active_runs,
              COALESCE(r.tokens_today, 0)::text AS tokens_today,
              COALESCE(r.finished_24h, 0)::int AS finished_24h,
              COALESCE(r.failed_24h, 0)::int AS failed_24h,
              COALESCE(r.duration_24h, 0)::float8 AS duration_24h
       FROM tenants t
       LEFT JOIN LATERAL (
         SELECT sum(completed + failed + cancelled) AS total_runs,
                sum(tokens) FILTER (WHERE bucket >= date_trunc('day', now(), 'UTC')) AS tokens_today,
                sum(completed + failed + cancelled) FILTER (WHERE bucket >= now() - interval '24 hours') AS finished_24h,
                sum(failed) FILTER (WHERE bucket >= now() - interval '24 hours') AS failed_24h,
                sum(duration_sum) FILTER (WHERE bucket >= now() - interval '24 hours') AS duration_24h
         FROM run_stats_hourly s WHERE s.tenant_id = t.id
       ) r ON true
       WHERE ($1::uuid IS NULL OR t.id = $1)
       ORDER BY t.created_at`,
      [tenantId],
    );
  }
}
