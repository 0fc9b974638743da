import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** One step of a run: a model call and the tool calls it asked for. */
@Entity('run_steps')
export class RunStepEntity {
  @PrimaryColumn('uuid')
  runId: string;

  @PrimaryColumn('integer')
  stepNum: number;

  @Column('uuid')
  tenantId: string;

  @Column('text')
  type: string;

  /** The messages sent to the model. */
  @Column('jsonb', { default: [] })
  messages: unknown[];

  @Column('jsonb', { nullable: true })
  modelResponse: Record<string, unknown> | null;

  @Column('jsonb', { default: [] })
  toolCalls: unknown[];

  @Column('jsonb', { default: {} })
  metrics: Record<string, number>;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
