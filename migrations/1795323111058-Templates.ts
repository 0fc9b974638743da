import { MigrationInterface, QueryRunner } from 'typeorm';

/** Agent templates: global (tenant_id null) or owned by one tenant. */
export class Templates1795323111058 implements MigrationInterface {
  name = 'Templates1795323111058';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            CREATE TABLE "templates" (
                "id" uuid NOT NULL DEFAULT gen_random_uuid(),
                "tenant_id" uuid,
                "name" text NOT NULL,
                "description" text,
                "tags" jsonb NOT NULL DEFAULT '[]',
                "min_tier" text NOT NULL DEFAULT 'free',
                "version" integer NOT NULL DEFAULT '1',
                "config" jsonb NOT NULL,
                "created_by" text NOT NULL,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_515948649ce0bbbe391de702ae5" PRIMARY KEY ("id")
            )
        `);
    await queryRunner.query(`
            CREATE UNIQUE INDEX "UQ_templates_tenant_name" ON "templates" ("tenant_id", "name")
            WHERE tenant_id IS NOT NULL
        `);
    await queryRunner.query(`
            CREATE UNIQUE INDEX "UQ_templates_global_name" ON "templates" ("name")
            WHERE tenant_id IS NULL
        `);
    await queryRunner.query(`
            ALTER TABLE "templates"
            ADD CONSTRAINT "FK_ddd7ea53812fb25d98cc3357926" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE RESTRICT ON UPDATE NO ACTION
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            ALTER TABLE "templates" DROP CONSTRAINT "FK_ddd7ea53812fb25d98cc3357926"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."UQ_templates_global_name"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."UQ_templates_tenant_name"
        `);
    await queryRunner.query(`
            DROP TABLE "templates"
        `);
  }
}
