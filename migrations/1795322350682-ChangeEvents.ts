import { MigrationInterface, QueryRunner } from 'typeorm';

export class ChangeEvents1795322350682 implements MigrationInterface {
  name = 'ChangeEvents1795322350682';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            CREATE TABLE "change_events" (
                "id" BIGSERIAL NOT NULL,
                "tenant_id" uuid NOT NULL,
                "type" text NOT NULL,
                "resource_type" text NOT NULL,
                "resource_id" text NOT NULL,
                "version" integer,
                "config_hash" text,
                "payload" jsonb NOT NULL DEFAULT '{}',
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "published_at" TIMESTAMP WITH TIME ZONE,
                CONSTRAINT "PK_b879f7f031c15bf2821d94ccd63" PRIMARY KEY ("id")
            )
        `);
    await queryRunner.query(`
            CREATE INDEX "IDX_change_events_unpublished" ON "change_events" ("id")
            WHERE published_at IS NULL
        `);
    await queryRunner.query(`
            CREATE INDEX "IDX_a02f2b5d8584fe7cd58f79ecac" ON "change_events" ("tenant_id", "id")
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            DROP INDEX "public"."IDX_a02f2b5d8584fe7cd58f79ecac"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."IDX_change_events_unpublished"
        `);
    await queryRunner.query(`
            DROP TABLE "change_events"
        `);
  }
}
