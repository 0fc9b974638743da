import { MigrationInterface, QueryRunner } from 'typeorm';

export class Foundation1795322100731 implements MigrationInterface {
  name = 'Foundation1795322100731';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            CREATE TABLE "tenants" (
                "id" uuid NOT NULL DEFAULT gen_random_uuid(),
                "slug" text NOT NULL,
                "name" text NOT NULL,
                "tier" text NOT NULL,
                "limit_overrides" jsonb NOT NULL DEFAULT '{}'::jsonb,
                "active" boolean NOT NULL DEFAULT true,
                "deactivated_at" TIMESTAMP WITH TIME ZONE,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "UQ_2310ecc5cb8be427097154b18fc" UNIQUE ("slug"),
                CONSTRAINT "PK_53be67a04681c66b87ee27c9321" PRIMARY KEY ("id")
            )
        `);
    await queryRunner.query(`
            CREATE TABLE "audit_log" (
                "id" uuid NOT NULL DEFAULT gen_random_uuid(),
                "tenant_id" uuid NOT NULL,
                "actor" text NOT NULL,
                "action" text NOT NULL,
                "resource_type" text NOT NULL,
                "resource_id" text NOT NULL,
                "before" jsonb,
                "after" jsonb,
                "request_id" text,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_07fefa57f7f5ab8fc3f52b3ed0b" PRIMARY KEY ("id")
            )
        `);
    await queryRunner.query(`
            CREATE INDEX "IDX_d11742b3f5d64ad5d9545d2484" ON "audit_log" (
                "tenant_id",
                "resource_type",
                "resource_id",
                "created_at"
            )
        `);
    await queryRunner.query(`
            CREATE INDEX "IDX_ad217a94f778851d62c38b82d4" ON "audit_log" ("tenant_id", "created_at")
        `);
    await queryRunner.query(`
            CREATE TABLE "api_keys" (
                "id" uuid NOT NULL DEFAULT gen_random_uuid(),
                "tenant_id" uuid,
                "name" text NOT NULL,
                "role" text NOT NULL,
                "platform" boolean NOT NULL DEFAULT false,
                "prefix" text NOT NULL,
                "key_hash" text NOT NULL,
                "created_by" text NOT NULL,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "expires_at" TIMESTAMP WITH TIME ZONE,
                "revoked_at" TIMESTAMP WITH TIME ZONE,
                "last_used_at" TIMESTAMP WITH TIME ZONE,
                CONSTRAINT "UQ_6f6105c8efe05b310d046cbdb3d" UNIQUE ("prefix"),
                CONSTRAINT "PK_5c8a79801b44bd27b79228e1dad" PRIMARY KEY ("id")
            )
        `);
    await queryRunner.query(`
            CREATE INDEX "IDX_ad466567933bb883b4c3aec6a2" ON "api_keys" ("tenant_id", "created_at")
        `);
    await queryRunner.query(`
            ALTER TABLE "audit_log"
            ADD CONSTRAINT "FK_8ce0776c154c443e780270bbd7f" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE RESTRICT ON UPDATE NO ACTION
        `);
    await queryRunner.query(`
            ALTER TABLE "api_keys"
            ADD CONSTRAINT "FK_3ac18429c8d27858d79432e0dda" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE RESTRICT ON UPDATE NO ACTION
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            ALTER TABLE "api_keys" DROP CONSTRAINT "FK_3ac18429c8d27858d79432e0dda"
        `);
    await queryRunner.query(`
            ALTER TABLE "audit_log" DROP CONSTRAINT "FK_8ce0776c154c443e780270bbd7f"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."IDX_ad466567933bb883b4c3aec6a2"
        `);
    await queryRunner.query(`
            DROP TABLE "api_keys"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."IDX_ad217a94f778851d62c38b82d4"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."IDX_d11742b3f5d64ad5d9545d2484"
        `);
    await queryRunner.query(`
            DROP TABLE "audit_log"
        `);
    await queryRunner.query(`
            DROP TABLE "tenants"
        `);
  }
}
