import { MigrationInterface, QueryRunner } from 'typeorm';

export class Runs1795323790926 implements MigrationInterface {
  name = 'Runs1795323790926';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            CREATE TABLE "runs" (
                "id" uuid NOT NULL DEFAULT gen_random_uuid(),
                "tenant_id" uuid NOT NULL,
                "agent_id" uuid NOT NULL,
                "agent_version" integer NOT NULL,
                "agent_label" text,
                "config" jsonb NOT NULL DEFAULT '{}',
                "user_id" text,
                "session_id" text NOT NULL,
                "status" text NOT NULL,
                "input_query" text NOT NULL,
                "response_content" text,
                "error" text,
                "metrics" jsonb NOT NULL DEFAULT '{}',
                "intent" text,
                "on_disconnect" text NOT NULL DEFAULT 'continue',
                "instance_id" text,
                "heartbeat_at" TIMESTAMP WITH TIME ZONE,
                "parent_run_id" uuid,
                "forked_from_checkpoint_id" uuid,
                "start_checkpoint_id" uuid,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "finished_at" TIMESTAMP WITH TIME ZONE,
                CONSTRAINT "PK_46d6a1e257c38ba58f1a3c30836" PRIMARY KEY ("id")
            )
        `);
    await queryRunner.query(`
            CREATE INDEX "IDX_runs_running_heartbeat" ON "runs" ("status", "heartbeat_at")
        `);
    await queryRunner.query(`
            CREATE INDEX "IDX_runs_session" ON "runs" ("tenant_id", "session_id", "status")
        `);
    await queryRunner.query(`
            CREATE INDEX "IDX_runs_tenant_created" ON "runs" ("tenant_id", "created_at")
        `);
    await queryRunner.query(`
            CREATE TABLE "run_steps" (
                "run_id" uuid NOT NULL,
                "step_num" integer NOT NULL,
                "tenant_id" uuid NOT NULL,
                "type" text NOT NULL,
                "messages" jsonb NOT NULL DEFAULT '[]',
                "model_response" jsonb,
                "tool_calls" jsonb NOT NULL DEFAULT '[]',
                "metrics" jsonb NOT NULL DEFAULT '{}',
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_83580b4f8b7818288021f050f18" PRIMARY KEY ("run_id", "step_num")
            )
        `);
    await queryRunner.query(`
            CREATE TABLE "run_events" (
                "run_id" uuid NOT NULL,
                "seq" integer NOT NULL,
                "tenant_id" uuid NOT NULL,
                "type" text NOT NULL,
                "data" jsonb NOT NULL DEFAULT '{}',
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_26fbe8c97f90c91b8eecbb0fe74" PRIMARY KEY ("run_id", "seq")
            )
        `);
    await queryRunner.query(`
            CREATE TABLE "checkpoints" (
                "id" uuid NOT NULL DEFAULT gen_random_uuid(),
                "tenant_id" uuid NOT NULL,
                "run_id" uuid NOT NULL,
                "step_num" integer NOT NULL,
                "status" text NOT NULL,
                "messages" jsonb NOT NULL DEFAULT '[]',
                "metrics" jsonb NOT NULL DEFAULT '{}',
                "agent_config" jsonb NOT NULL DEFAULT '{}',
                "description" text,
                "tags" jsonb NOT NULL DEFAULT '[]',
                "kind" text NOT NULL DEFAULT 'auto',
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_dfcc46a91d96ecba8a8dcd8b11c" PRIMARY KEY ("id")
            )
        `);
    await queryRunner.query(`
            CREATE INDEX "IDX_checkpoints_run" ON "checkpoints" ("run_id", "step_num")
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            DROP INDEX "public"."IDX_checkpoints_run"
        `);
    await queryRunner.query(`
            DROP TABLE "checkpoints"
        `);
    await queryRunner.query(`
            DROP TABLE "run_events"
        `);
    await queryRunner.query(`
            DROP TABLE "run_steps"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."IDX_runs_tenant_created"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."IDX_runs_session"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."IDX_runs_running_heartbeat"
        `);
    await queryRunner.query(`
            DROP TABLE "runs"
        `);
  }
}
