import { Column, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** Small named counters of the outbox, such as the highest change id pruned. */
@Entity('outbox_state')
export class OutboxStateEntity {
  @PrimaryColumn('text')
  name: string;

  @Column('bigint')
  value: string;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
