import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/**
 * A run's ordered event log, the same events that were streamed (`seq` is the SSE `id:`). Written
 * in batches, one multi-row INSERT per flush, never one statement per token.
 */
@Entity('run_events')
export class RunEventEntity {
  @PrimaryColumn('uuid')
  runId: string;

  @PrimaryColumn('integer')
  seq: number;

  @Column('uuid')
  tenantId: string;

  @Column('text')
  type: string;

  @Column('jsonb', { default: {} })
  data: Record<string, unknown>;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
