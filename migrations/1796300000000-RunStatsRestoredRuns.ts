import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A run restored in place leaves its final state (completed, failed, cancelled) and reaches one
 * again later: the rollup counted it at each end, with the metrics of each, so an agent showed
 * more runs and tokens than its runs hold. Now a run leaving a final state takes itself out of
 * its hour (from its connection's shard row: readers sum the rows of an hour) with the metrics it
 * was counted with, and the rollup is recomputed once from the runs to mend what was counted twice.
 * The rollup then always equals what agentry_run_stats_rebuild computes.
 */
export class RunStatsRestoredRuns1796300000000 implements MigrationInterface {
  name = 'RunStatsRestoredRuns1796300000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE FUNCTION agentry_runs_unroll() RETURNS trigger
      LANGUAGE plpgsql AS $$
      DECLARE
        duration double precision := COALESCE((OLD.metrics->>'duration')::double precision, 0);
        tokens bigint := COALESCE((OLD.metrics->>'total_tokens')::bigint, 0);
        slot integer := width_bucket(COALESCE((OLD.metrics->>'duration')::double precision, 0), agentry_run_stats_bounds()) + 1;
        histogram integer[] := array_fill(0, ARRAY[20]);
      BEGIN
        histogram[slot] := -1;
        INSERT INTO run_stats_hourly AS s
          (agent_id, agent_version, bucket, shard, tenant_id, completed, failed, cancelled, duration_sum, tokens, duration_histogram)
        VALUES
          (OLD.agent_id, OLD.agent_version, date_trunc('hour', OLD.created_at, 'UTC'), pg_backend_pid() % 16, OLD.tenant_id,
           -(OLD.status = 'completed')::int, -(OLD.status = 'failed')::int, -(OLD.status = 'cancelled')::int,
           -duration, -tokens, histogram)
        ON CONFLICT (agent_id, agent_version, bucket, shard) DO UPDATE SET
          completed = s.completed + EXCLUDED.completed,
          failed = s.failed + EXCLUDED.failed,
          cancelled = s.cancelled + EXCLUDED.cancelled,
          duration_sum = s.duration_sum + EXCLUDED.duration_sum,
          tokens = s.tokens + EXCLUDED.tokens,
          duration_histogram[slot] = s.duration_histogram[slot] - 1;
        RETURN NEW;
      END
      $$
    `);
    await queryRunner.query(`
      CREATE TRIGGER runs_rollup_leave AFTER UPDATE OF status ON runs
      FOR EACH ROW WHEN (OLD.status IN ('completed', 'failed', 'cancelled') AND NEW.status IS DISTINCT FROM OLD.status)
      EXECUTE FUNCTION agentry_runs_unroll()
    `);
    await queryRunner.query('SELECT agentry_run_stats_rebuild()');
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TRIGGER runs_rollup_leave ON runs');
    await queryRunner.query('DROP FUNCTION agentry_runs_unroll()');
  }
}
