import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The platform's own audit log: what platform operators do outside any tenant (creating and
 * revoking platform service keys, which read every tenant), listed at `GET /platform/audit`.
 */
export class PlatformAudit1796596721624 implements MigrationInterface {
  name = 'PlatformAudit1796596721624';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            CREATE TABLE "platform_audit_log" (
                "id" uuid NOT NULL DEFAULT gen_random_uuid(),
                "actor" text NOT NULL,
                "action" text NOT NULL,
                "resource_type" text NOT NULL,
                "resource_id" text NOT NULL,
                "before" jsonb,
                "after" jsonb,
                "request_id" text,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_ad4338eabd3fc4e3e72c03555f9" PRIMARY KEY ("id")
            )
        `);
    await queryRunner.query(`
            CREATE INDEX "IDX_platform_audit_created" ON "platform_audit_log" ("created_at")
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            DROP INDEX "public"."IDX_platform_audit_created"
        `);
    await queryRunner.query(`
            DROP TABLE "platform_audit_log"
        `);
  }
}
