import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * Hourly rollup of finished runs per agent version, kept by the `runs_rollup` trigger (see the
 * RunStatsRollup migration) in the transaction that finishes a run, so the agent and system
 * metrics read a few rows per hour instead of every run. Buckets are hours of the runs' start.
 * Each hour of an agent version is split over a few `shard` rows (readers sum them), so that runs
 * finishing at once on different connections do not queue on one row (see RunStatsShards).
 */
@Entity('run_stats_hourly')
@Index(['tenantId', 'bucket'])
export class RunStatsHourlyEntity {
  @PrimaryColumn('uuid')
  agentId: string;

  @PrimaryColumn('integer')
  agentVersion: number;

  @PrimaryColumn('timestamptz')
  bucket: Date;

  @PrimaryColumn('smallint', { default: 0 })
  shard: number;

  @Column('uuid')
  tenantId: string;

  @Column('integer', { default: 0 })
  completed: number;

  @Column('integer', { default: 0 })
  failed: number;

  @Column('integer', { default: 0 })
  cancelled: number;

  /** Sum of run durations in seconds. */
  @Column('double precision', { default: 0 })
  durationSum: number;

  @Column('bigint', { default: 0 })
  tokens: string;

  /** Counts of durations per bucket of DURATION_BOUNDS (the last counts longer ones). */
  @Column('integer', { array: true })
  durationHistogram: number[];
}
