import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Run events may name the seq they come after: the first event written for a run whose instance
 * died is numbered past the seqs that instance may have streamed without storing them.
 */
export class RunEventFollows1796657024186 implements MigrationInterface {
  name = 'RunEventFollows1796657024186';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            ALTER TABLE "run_events"
            ADD "follows_seq" integer
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            ALTER TABLE "run_events" DROP COLUMN "follows_seq"
        `);
  }
}
