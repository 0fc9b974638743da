import { MigrationInterface, QueryRunner } from 'typeorm';

/** Agents, their immutable versions and their labels. */
export class Agents1795322786084 implements MigrationInterface {
  name = 'Agents1795322786084';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            CREATE TABLE "agents" (
                "id" uuid NOT NULL DEFAULT gen_random_uuid(),
                "tenant_id" uuid NOT NULL,
                "name" text NOT NULL,
                "tags" jsonb NOT NULL DEFAULT '[]',
                "status" text NOT NULL DEFAULT 'active',
                "current_version" integer NOT NULL,
                "template_id" uuid,
                "template_version" integer,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "deleted_at" TIMESTAMP WITH TIME ZONE,
                CONSTRAINT "PK_9c653f28ae19c5884d5baf6a1d9" PRIMARY KEY ("id")
            )
        `);
    await queryRunner.query(`
            CREATE UNIQUE INDEX "UQ_agents_tenant_name" ON "agents" ("tenant_id", "name")
            WHERE deleted_at IS NULL
        `);
    await queryRunner.query(`
            CREATE TABLE "agent_versions" (
                "agent_id" uuid NOT NULL,
                "version" integer NOT NULL,
                "tenant_id" uuid NOT NULL,
                "config" jsonb NOT NULL,
                "config_hash" text NOT NULL,
                "created_by" text NOT NULL,
                "note" text,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_b392370a19a493bde3c73566159" PRIMARY KEY ("agent_id", "version")
            )
        `);
    await queryRunner.query(`
            CREATE TABLE "agent_labels" (
                "agent_id" uuid NOT NULL,
                "label" text NOT NULL,
                "tenant_id" uuid NOT NULL,
                "version" integer NOT NULL,
                "updated_by" text NOT NULL,
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_45f5b1c20a97b1cf162fe02069a" PRIMARY KEY ("agent_id", "label")
            )
        `);
    await queryRunner.query(`
            ALTER TABLE "agents"
            ADD CONSTRAINT "FK_87e9fdd9a00cd5fa5768aa0e6be" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE RESTRICT ON UPDATE NO ACTION
        `);
    await queryRunner.query(`
            ALTER TABLE "agent_versions"
            ADD CONSTRAINT "FK_d17f495bbb2d8a2233b93166b04" FOREIGN KEY ("agent_id") REFERENCES "agents"("id") ON DELETE RESTRICT ON UPDATE NO ACTION
        `);
    await queryRunner.query(`
            ALTER TABLE "agent_labels"
            ADD CONSTRAINT "FK_737acb86e2764be31eea8da5e71" FOREIGN KEY ("agent_id") REFERENCES "agents"("id") ON DELETE RESTRICT ON UPDATE NO ACTION
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            ALTER TABLE "agent_labels" DROP CONSTRAINT "FK_737acb86e2764be31eea8da5e71"
        `);
    await queryRunner.query(`
            ALTER TABLE "agent_versions" DROP CONSTRAINT "FK_d17f495bbb2d8a2233b93166b04"
        `);
    await queryRunner.query(`
            ALTER TABLE "agents" DROP CONSTRAINT "FK_87e9fdd9a00cd5fa5768aa0e6be"
        `);
    await queryRunner.query(`
            DROP TABLE "agent_labels"
        `);
    await queryRunner.query(`
            DROP TABLE "agent_versions"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."UQ_agents_tenant_name"
        `);
    await queryRunner.query(`
            DROP TABLE "agents"
        `);
  }
}
