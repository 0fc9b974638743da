import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An index of each tenant's active (queued or running) runs. Every admission counts them under the
 * tenant's lock; through IDX_runs_session that count visited every run the tenant ever had (1.5 ms
 * at 1,500 runs, growing with history), through this one it visits the active runs only.
 */
export class ActiveRuns1796186806559 implements MigrationInterface {
  name = 'ActiveRuns1796186806559';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            CREATE INDEX "IDX_runs_active" ON "runs" ("tenant_id")
            WHERE status IN ('queued', 'running')
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            DROP INDEX "public"."IDX_runs_active"
        `);
  }
}
