import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** A run's state after a step: enough to continue from it (restore) or start a variant (fork). */
@Entity('checkpoints')
@Index('IDX_checkpoints_run', ['runId', 'stepNum'])
export class CheckpointEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('uuid')
  tenantId: string;

  @Column('uuid')
  runId: string;

  @Column('integer')
  stepNum: number;

  /** The run's status when the checkpoint was taken. */
  @Column('text')
  status: string;

  @Column('jsonb', { default: [] })
  messages: unknown[];

  @Column('jsonb', { default: {} })
  metrics: Record<string, number>;

  @Column('jsonb', { default: {} })
  agentConfig: Record<string, unknown>;

  @Column('text', { nullable: true })
  description: string | null;

  @Column('jsonb', { default: [] })
  tags: string[];

  /**
   * `auto` after a step, `pause` on pause, `manual` when asked for, `fork` and `restore` where a
   * run starts again from one.
   */
  @Column('text', { default: 'auto' })
  kind: string;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
