import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export const RUN_STATUSES = [
  'queued',
  'running',
  'paused',
  'completed',
  'failed',
  'cancelled',
  'interrupted',
] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
/** States a run never leaves. */
export const TERMINAL_STATUSES: readonly RunStatus[] = ['completed', 'failed', 'cancelled'];
/** What a control request asks of the instance executing a run; stored so a lost bus message loses nothing. */
export type RunIntent = 'pause' | 'cancel';

export interface RunMetrics {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  /** Seconds. */
  duration: number;
  steps: number;
}

/**
 * One execution of an agent on an input, pinned to the resolved agent configuration it started
 * with (`config`). `instanceId`/`heartbeatAt` say which instance executes it and that it is alive.
 */
@Entity('runs')
@Index('IDX_runs_tenant_created', ['tenantId', 'createdAt'])
@Index('IDX_runs_session', ['tenantId', 'sessionId', 'status'])
@Index('IDX_runs_running_heartbeat', ['status', 'heartbeatAt'])
// A tenant's active runs, counted by every admission: only they are in it, so the count costs the
// same after a million finished runs as after ten.
@Index('IDX_runs_active', ['tenantId'], { where: `status IN ('queued', 'running')` })
// `GET /runs?agent_id=` and `?user_id=`: their page and their total read only the matching runs.
@Index('IDX_runs_agent_created', ['tenantId', 'agentId', 'createdAt'])
@Index('IDX_runs_user_created', ['tenantId', 'userId', 'createdAt'], { where: 'user_id IS NOT NULL' })
export class RunEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('uuid')
  tenantId: string;

  @Column('uuid')
  agentId: string;

  @Column('integer')
  agentVersion: number;

  /** The label the run was started with, if any. */
  @Column('text', { nullable: true })
  agentLabel: string | null;

  /** The resolved configuration in force (system prompt, model, tools, parameters). */
  @Column('jsonb', { default: {} })
  config: Record<string, unknown>;

  @Column('text', { nullable: true })
  userId: string | null;

  @Column('text')
  sessionId: string;

  @Column('text')
  status: RunStatus;

  @Column('text')
  inputQuery: string;

  @Column('text', { nullable: true })
  responseContent: string | null;

  @Column('text', { nullable: true })
  error: string | null;

  @Column('jsonb', { default: {} })
  metrics: Partial<RunMetrics>;

  @Column('text', { nullable: true })
  intent: RunIntent | null;

  @Column('text', { default: 'continue' })
  onDisconnect: string;

  @Column('text', { nullable: true })
  instanceId: string | null;

  @Column('timestamptz', { nullable: true })
  heartbeatAt: Date | null;

  @Column('uuid', { nullable: true })
  parentRunId: string | null;

  @Column('uuid', { nullable: true })
  forkedFromCheckpointId: string | null;

  /** The checkpoint a queued run starts from (fork, restore), if any. */
  @Column('uuid', { nullable: true })
  startCheckpointId: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;

  @Column('timestamptz', { nullable: true })
  finishedAt: Date | null;
}
