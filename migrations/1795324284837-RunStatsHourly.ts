import { MigrationInterface, QueryRunner } from 'typeorm';

export class RunStatsHourly1795324284837 implements MigrationInterface {
  name = 'RunStatsHourly1795324284837';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            CREATE TABLE "run_stats_hourly" (
                "agent_id" uuid NOT NULL,
                "agent_version" integer NOT NULL,
                "bucket" TIMESTAMP WITH TIME ZONE NOT NULL,
                "tenant_id" uuid NOT NULL,
                "completed" integer NOT NULL DEFAULT '0',
                "failed" integer NOT NULL DEFAULT '0',
                "cancelled" integer NOT NULL DEFAULT '0',
                "duration_sum" double precision NOT NULL DEFAULT '0',
                "tokens" bigint NOT NULL DEFAULT '0',
                "duration_histogram" integer array NOT NULL,
                CONSTRAINT "PK_4c4ea04042d160928566081d11a" PRIMARY KEY ("agent_id", "agent_version", "bucket")
            )
        `);
    await queryRunner.query(`
            CREATE INDEX "IDX_e000eabfa59327255b8e0a2860" ON "run_stats_hourly" ("tenant_id", "bucket")
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            DROP INDEX "public"."IDX_e000eabfa59327255b8e0a2860"
        `);
    await queryRunner.query(`
            DROP TABLE "run_stats_hourly"
        `);
  }
}
