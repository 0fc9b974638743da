import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Keeps run_stats_hourly current from the runs table itself: a run reaching a final state
 * (completed, failed, cancelled) adds itself to the hour of its start, in the same transaction.
 * The bounds must equal DURATION_BOUNDS in src/modules/metrics/duration-histogram.ts.
 */
export class RunStatsRollup1795324284838 implements MigrationInterface {
  name = 'RunStatsRollup1795324284838';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE FUNCTION agentry_run_stats_bounds() RETURNS double precision[]
      LANGUAGE sql IMMUTABLE AS $$
        SELECT ARRAY[0.1, 0.25, 0.5, 1, 2, 3, 5, 7.5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 300, 600]::double precision[]
      $$
    `);
    await queryRunner.query(`
      CREATE FUNCTION agentry_runs_rollup() RETURNS trigger
      LANGUAGE plpgsql AS $$
      DECLARE
        duration double precision := COALESCE((NEW.metrics->>'duration')::double precision, 0);
        tokens bigint := COALESCE((NEW.metrics->>'total_tokens')::bigint, 0);
        slot integer := width_bucket(COALESCE((NEW.metrics->>'duration')::double precision, 0), agentry_run_stats_bounds()) + 1;
        histogram integer[] := array_fill(0, ARRAY[20]);
      BEGIN
        histogram[slot] := 1;
        INSERT INTO run_stats_hourly AS s
          (agent_id, agent_version, bucket, tenant_id, completed, failed, cancelled, duration_sum, tokens, duration_histogram)
        VALUES
          (NEW.agent_id, NEW.agent_version, date_trunc('hour', NEW.created_at, 'UTC'), NEW.tenant_id,
           (NEW.status = 'completed')::int, (NEW.status = 'failed')::int, (NEW.status = 'cancelled')::int,
           duration, tokens, histogram)
        ON CONFLICT (agent_id, agent_version, bucket) DO UPDATE SET
          completed = s.completed + EXCLUDED.completed,
          failed = s.failed + EXCLUDED.failed,
          cancelled = s.cancelled + EXCLUDED.cancelled,
          duration_sum = s.duration_sum + EXCLUDED.duration_sum,
          tokens = s.tokens + EXCLUDED.tokens,
          duration_histogram[slot] = s.duration_histogram[slot] + 1;
        RETURN NEW;
      END
      $$
    `);
    await queryRunner.query(`
      CREATE TRIGGER runs_rollup_insert AFTER INSERT ON runs
      FOR EACH ROW WHEN (NEW.status IN ('completed', 'failed', 'cancelled'))
      EXECUTE FUNCTION agentry_runs_rollup()
    `);
    await queryRunner.query(`
      CREATE TRIGGER runs_rollup_update AFTER UPDATE OF status ON runs
      FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status AND NEW.status IN ('completed', 'failed', 'cancelled'))
      EXECUTE FUNCTION agentry_runs_rollup()
    `);
    // Recomputes every rollup from the runs: the backfill below, and after bulk loads made with
    // triggers off (the metrics benchmark seeds a million runs that way).
    await queryRunner.query(`
      CREATE FUNCTION agentry_run_stats_rebuild() RETURNS void
      LANGUAGE plpgsql AS $$
      DECLARE
        columns text;
      BEGIN
        SELECT string_agg(format('count(*) FILTER (WHERE slot = %s)::int', i), ', ' ORDER BY i)
          INTO columns FROM generate_series(1, 20) AS i;
        DELETE FROM run_stats_hourly;
        EXECUTE format($sql$
          INSERT INTO run_stats_hourly
            (agent_id, agent_version, bucket, tenant_id, completed, failed, cancelled, duration_sum, tokens, duration_histogram)
          SELECT agent_id, agent_version, bucket, tenant_id,
                 count(*) FILTER (WHERE status = 'completed'), count(*) FILTER (WHERE status = 'failed'),
                 count(*) FILTER (WHERE status = 'cancelled'), sum(duration), sum(tokens), ARRAY[%s]
          FROM (
            SELECT agent_id, agent_version, tenant_id, status, date_trunc('hour', created_at, 'UTC') AS bucket,
                   COALESCE((metrics->>'duration')::double precision, 0) AS duration,
                   COALESCE((metrics->>'total_tokens')::bigint, 0) AS tokens,
                   width_bucket(COALESCE((metrics->>'duration')::double precision, 0), agentry_run_stats_bounds()) + 1 AS slot
            FROM runs WHERE status IN ('completed', 'failed', 'cancelled')
          ) AS finished
          GROUP BY agent_id, agent_version, bucket, tenant_id
        $sql$, columns);
      END
      $$
    `);
    await queryRunner.query('SELECT agentry_run_stats_rebuild()');
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TRIGGER runs_rollup_update ON runs');
    await queryRunner.query('DROP TRIGGER runs_rollup_insert ON runs');
    await queryRunner.query('DROP FUNCTION agentry_run_stats_rebuild()');
    await queryRunner.query('DROP FUNCTION agentry_runs_rollup()');
    await queryRunner.query('DROP FUNCTION agentry_run_stats_bounds()');
  }
}
