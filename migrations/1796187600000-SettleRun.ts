import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Ends an execution in one round trip (agentry_settle_run), where it took three: under the
 * session's advisory lock (the key admission takes), the final step's row and checkpoint when one
 * is given, the run's last events, the run's move from `running` to its new state, and the hand-over
 * of the session's oldest queued run to the same instance (agentry_claim_next_queued).
 *
 * The lock comes first, so an admission of the same session either commits before (its queued run
 * is then seen and claimed here: each statement of the function reads a fresh snapshot) or waits
 * and sees this run ended (and runs at once instead of queueing). Answers {moved, next}: whether
 * the run was still running (false when a sweep took it; the events are stored all the same) and
 * the id of the run claimed, or null.
 *
 * p_events: [{seq, type, timestamp, data}]. p_step, or null: {step_num, type, messages,
 * model_response, tool_calls, metrics, checkpoint: {id, messages, metrics, agent_config, description}}.
 */
export class SettleRun1796187600000 implements MigrationInterface {
  name = 'SettleRun1796187600000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE FUNCTION agentry_settle_run(
        p_tenant_id uuid, p_run_id uuid, p_session_id text, p_status text, p_metrics jsonb,
        p_response text, p_error text, p_finished_at timestamptz, p_events jsonb, p_step jsonb,
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
          FROM jsonb_array_elements(p_events) AS e
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
    `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP FUNCTION agentry_settle_run`);
  }
}
