import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Hands a session's oldest queued run to an instance in one round trip: under the session's
 * advisory lock (the key admission takes), nothing when the session still has a running run or
 * nothing queued, else that run becomes `running` on `p_instance_id`. Answers its id or NULL.
 * Each statement of the function reads a fresh snapshot, so what an admission committed while
 * this one waited for the lock is seen.
 */
export class ClaimNextQueued1795500000000 implements MigrationInterface {
  name = 'ClaimNextQueued1795500000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE FUNCTION agentry_claim_next_queued(p_tenant_id uuid, p_session_id text, p_instance_id text)
      RETURNS uuid
      LANGUAGE plpgsql AS $$
      DECLARE
        claimed uuid;
      BEGIN
        PERFORM pg_advisory_xact_lock(hashtext('runs:' || p_tenant_id::text || ':' || p_session_id));
        IF EXISTS (SELECT 1 FROM runs r WHERE r.tenant_id = p_tenant_id AND r.session_id = p_session_id
                     AND r.status = 'running') THEN
          RETURN NULL;
        END IF;
        UPDATE runs SET status = 'running', instance_id = p_instance_id, heartbeat_at = now(), updated_at = now()
          WHERE id = (SELECT r.id FROM runs r
                       WHERE r.tenant_id = p_tenant_id AND r.session_id = p_session_id AND r.status = 'queued'
                       ORDER BY r.created_at, r.id LIMIT 1)
            AND status = 'queued'
          RETURNING id INTO claimed;
        RETURN claimed;
      END
      $$
    `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP FUNCTION agentry_claim_next_queued`);
  }
}
