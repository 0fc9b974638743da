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

  /** `json`, not `jsonb`: the text as streamed, its keys in their order, for replays. */
  @Column('json', { default: {} })
  data: Record<string, unknown>;

  /**
   * The seq this event comes after, when that is not `seq - 1`: the first event written for a run
   * whose instance died, numbered past whatever that instance may have streamed without storing.
   * Streams go on from it whatever they last saw in between.
   */
  @Column('integer', { nullable: true })
  followsSeq: number | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
