import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Admits a chat run in one round trip: under the tenant's and the session's advisory locks (the
 * same keys the application takes), checks the session's busy runs and the tenant's concurrent
 * runs, then inserts the run. The locks are held for the statement and its commit only, with no
 * network round trip in between. Answers {outcome: admitted|busy|limit, run, busy, active}.
 */
export class AdmitRun1795400000000 implements MigrationInterface {
  name = 'AdmitRun1795400000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE FUNCTION agentry_admit_run(
        p_tenant_id uuid, p_session_id text, p_multitask text, p_max_active integer,
        p_agent_id uuid, p_agent_version integer, p_agent_label text, p_config jsonb,
        p_user_id text, p_input_query text, p_metrics jsonb, p_on_disconnect text, p_instance_id text)
      RETURNS jsonb
      LANGUAGE plpgsql AS $$
      DECLARE
        busy uuid[];
        active integer;
        admitted runs;
      BEGIN
        PERFORM pg_advisory_xact_lock(hashtext('runs:' || p_tenant_id::text));
        PERFORM pg_advisory_xact_lock(hashtext('runs:' || p_tenant_id::text || ':' || p_session_id));
        SELECT COALESCE(array_agg(r.id ORDER BY r.created_at, r.id), '{}') INTO busy FROM runs r
          WHERE r.tenant_id = p_tenant_id AND r.session_id = p_session_id AND r.status IN ('queued', 'running');
        IF cardinality(busy) > 0 AND p_multitask = 'reject' THEN
          RETURN jsonb_build_object('outcome', 'busy', 'busy', busy);
        END IF;
        SELECT count(*) INTO active FROM runs r
          WHERE r.tenant_id = p_tenant_id AND r.status IN ('queued', 'running');
        IF active >= p_max_active THEN
          RETURN jsonb_build_object('outcome', 'limit', 'busy', busy, 'active', active);
        END IF;
        INSERT INTO runs (tenant_id, agent_id, agent_version, agent_label, config, user_id, session_id,
                          status, input_query, metrics, on_disconnect, instance_id, heartbeat_at)
        VALUES (p_tenant_id, p_agent_id, p_agent_version, p_agent_label, p_config, p_user_id, p_session_id,
                CASE WHEN cardinality(busy) > 0 AND p_multitask = 'enqueue' THEN 'queued' ELSE 'running' END,
                p_input_query, p_metrics, p_on_disconnect,
                CASE WHEN cardinality(busy) > 0 AND p_multitask = 'enqueue' THEN NULL ELSE p_instance_id END,
                CASE WHEN cardinality(busy) > 0 AND p_multitask = 'enqueue' THEN NULL ELSE now() END)
        RETURNING * INTO admitted;
        RETURN jsonb_build_object('outcome', 'admitted', 'busy', busy, 'active', active + 1,
          'id', admitted.id, 'status', admitted.status, 'created_at', admitted.created_at,
          'updated_at', admitted.updated_at, 'heartbeat_at', admitted.heartbeat_at);
      END
      $$
    `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP FUNCTION agentry_admit_run`);
  }
}
