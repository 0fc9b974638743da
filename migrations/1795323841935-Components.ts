import { MigrationInterface, QueryRunner } from 'typeorm';

export class Components1795323841935 implements MigrationInterface {
  name = 'Components1795323841935';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            CREATE TABLE "components" (
                "id" uuid NOT NULL DEFAULT gen_random_uuid(),
                "tenant_id" uuid NOT NULL,
                "name" text NOT NULL,
                "type" text NOT NULL,
                "description" text,
                "enabled" boolean NOT NULL DEFAULT true,
                "tags" jsonb NOT NULL DEFAULT '[]',
                "config" jsonb NOT NULL DEFAULT '{}',
                "version" integer NOT NULL,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_0d742661c63926321b5f5eac1ad" PRIMARY KEY ("id")
            )
        `);
    await queryRunner.query(`
            CREATE UNIQUE INDEX "UQ_components_tenant_name" ON "components" ("tenant_id", "name")
        `);
    await queryRunner.query(`
            CREATE TABLE "component_changes" (
                "id" uuid NOT NULL DEFAULT gen_random_uuid(),
                "tenant_id" uuid NOT NULL,
                "component_id" uuid NOT NULL,
                "component_name" text NOT NULL,
                "version" integer NOT NULL,
                "change_type" text NOT NULL,
                "old_config" jsonb,
                "new_config" jsonb,
                "actor" text NOT NULL,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_732dcf3f46396b4ce0b6051b020" PRIMARY KEY ("id")
            )
        `);
    await queryRunner.query(`
            CREATE INDEX "IDX_a252e986bce173ec9ce8c4cd91" ON "component_changes" ("tenant_id", "component_name", "created_at")
        `);
    await queryRunner.query(`
            ALTER TABLE "api_keys"
            ADD "allow_secrets" boolean NOT NULL DEFAULT false
        `);
    await queryRunner.query(`
            ALTER TABLE "components"
            ADD CONSTRAINT "FK_d1cbbc0e8bbc1b2fd8a3eb99ccd" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE RESTRICT ON UPDATE NO ACTION
        `);
    await queryRunner.query(`
            ALTER TABLE "component_changes"
            ADD CONSTRAINT "FK_c3e450e73fb56d804757dba96cb" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE RESTRICT ON UPDATE NO ACTION
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            ALTER TABLE "component_changes" DROP CONSTRAINT "FK_c3e450e73fb56d804757dba96cb"
        `);
    await queryRunner.query(`
            ALTER TABLE "components" DROP CONSTRAINT "FK_d1cbbc0e8bbc1b2fd8a3eb99ccd"
        `);
    await queryRunner.query(`
            ALTER TABLE "api_keys" DROP COLUMN "allow_secrets"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."IDX_a252e986bce173ec9ce8c4cd91"
        `);
    await queryRunner.query(`
            DROP TABLE "component_changes"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."UQ_components_tenant_name"
        `);
    await queryRunner.query(`
            DROP TABLE "components"
        `);
  }
}
