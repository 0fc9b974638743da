import { MigrationInterface, QueryRunner } from 'typeorm';

export class OutboxState1795322561426 implements MigrationInterface {
  name = 'OutboxState1795322561426';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            CREATE TABLE "outbox_state" (
                "name" text NOT NULL,
                "value" bigint NOT NULL,
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_300d86a404c4a3ffc5019b0d084" PRIMARY KEY ("name")
            )
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            DROP TABLE "outbox_state"
        `);
  }
}
