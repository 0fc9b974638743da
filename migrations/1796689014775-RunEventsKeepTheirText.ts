import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Run events keep the text they were streamed with: `data` becomes `json`, which stores the text
 * as given, where `jsonb` reorders an object's keys (shortest first), so a replayed event read
 * differently from the live one. The statements that store events take their rows as `json` for
 * the same reason (a `jsonb` parameter reorders them before they are stored), agentry_settle_run
 * included; it is recreated unchanged but for that. Events stored before keep the order `jsonb` gave
 * them. The column's type change rewrites the table, under an exclusive lock, once.
 */
export class RunEventsKeepTheirText1796689014775 implements MigrationInterface {
  name = 'RunEventsKeepTheirText1796689014775';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "run_events" ALTER COLUMN "data" DROP DEFAULT`);
    await queryRunner.query(`ALTER TABLE "run_events" ALTER COLUMN "data" TYPE json USING "data"::json`);
    await queryRunner.query(`ALTER TABLE "run_events" ALTER COLUMN "data" SET DEFAULT '{}'`);
    await queryRunner.query(`DROP FUNCTION agentry_settle_run(${signature('jsonb')})`);
    await queryRunner.query(settleRun('json'));
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP FUNCTION agentry_settle_run(${signature('json')})`);
    await queryRunner.query(settleRun('jsonb'));
    await queryRunner.query(`ALTER TABLE "run_events" ALTER COLUMN "data" DROP DEFAULT`);
    await queryRunner.query(`ALTER TABLE "run_events" ALTER COLUMN "data" TYPE jsonb USING "data"::jsonb`);
    await queryRunner.query(`ALTER TABLE "run_events" ALTER COLUMN "data" SET DEFAULT '{}'`);
  }
}

/** agentry_settle_run's argument types, its events given as `events`. */
function signature(events: 'json' | 'jsonb'): string {
  return `uuid, uuid, text, text, jsonb, text, text, timestamptz, ${events}, jsonb, text`;
}

/** agentry_settle_run as SettleRun1796187600000 made it, its events given as `events`. */
function settleRun(events: 'json' | 'jsonb'): string {
  return `
      CREATE FUNCTION agentry_settle_run(
        p_tenant_id uuid, p_run_id uuid, p_session_id text, p_status text, p_metrics jsonb,
        p_response text, p_error text, p_finished_at timestamptz, p_events ${events}, p_step jsonb,
        p_instance_id text)
      RETURNS jsonb
      LANGUAGE plpgsql AS $$
      DECLARE
        moved boolean;
        claimed uuid;
      BEGIN
        PERFORM pg_advisory_xact_lock(hashtext('runs:' || p_tenant_id::text || ':' || p_session_id));
        IF p_step IS NOT NULL THEN
          INSERT INTO run_steps (run_id, step_num, tenant_id, type, messages, model_response, tool_calls, metrics)
          VALUES (p_run_id, (p_step->>'step_num')::int, p_tenant_id, p_step->>'type', p_step->'messages',
                  p_step->'model_response', p_step->'tool_calls', p_step->'metrics')
          ON CONFLICT (run_id, step_num) DO UPDATE SET type = EXCLUDED.type, messages = EXCLUDED.messages,
            model_response = EXCLUDED.model_response, tool_calls = EXCLUDED.tool_calls, metrics = EXCLUDED.metrics;
          INSERT INTO checkpoints (id, tenant_id, run_id, step_num, status, messages, metrics, agent_config,
                                   description, tags, kind)
          VALUES ((p_step->'checkpoint'->>'id')::uuid, p_tenant_id, p_run_id, (p_step->>'step_num')::int, 'running',
                  p_step->'checkpoint'->'messages', p_step->'checkpoint'->'metrics',
                  p_step->'checkpoint'->'agent_config', p_step->'checkpoint'->>'description', '[]'::jsonb, 'auto');
        END IF;
        INSERT INTO run_events (run_id, seq, tenant_id, type, data, created_at)
          SELECT p_run_id, (e->>'seq')::int, p_tenant_id, e->>'type', e->'data', (e->>'timestamp')::timestamptz
          FROM ${events}_array_elements(p_events) AS e
          ON CONFLICT DO NOTHING;
        UPDATE runs SET status = p_status, metrics = p_metrics,
               response_content = COALESCE(p_response, response_content), error = COALESCE(p_error, error),
               finished_at = COALESCE(p_finished_at, finished_at), intent = NULL, instance_id = NULL,
               updated_at = now()
          WHERE tenant_id = p_tenant_id AND id = p_run_id AND status = 'running';
        moved := FOUND;
        -- The session's lock is held already (advisory locks nest within a transaction).
        claimed := agentry_claim_next_queued(p_tenant_id, p_session_id, p_instance_id);
        RETURN jsonb_build_object('moved', moved, 'next', claimed);
      END
      $$
  `;
}
