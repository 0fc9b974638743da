import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * The outbox: one row per committed change, written in the change's own transaction. The id is
 * the global change sequence that consumers resume from. Rows are immutable except for
 * `published_at`, set by the relay once the event is on the bus.
 */
@Entity('change_events')
@Index(['tenantId', 'id'])
@Index('IDX_change_events_unpublished', ['id'], { where: 'published_at IS NULL' })
export class ChangeEventEntity {
  /** bigint: node-postgres returns it as a string, and so do we. */
  @PrimaryGeneratedColumn('increment', { type: 'bigint' })
  id: string;

  @Column('uuid')
  tenantId: string;

  /** e.g. `agent.updated`, `agent.label_moved`, `template.created`, `component.updated`. */
  @Column('text')
  type: string;

  @Column('text')
  resourceType: string;

  @Column('text')
  resourceId: string;

  /** The resource's version after the change, when it has versions. */
  @Column('integer', { nullable: true })
  version: number | null;

  /** Canonical hash of the configuration after the change, when there is one. */
  @Column('text', { nullable: true })
  configHash: string | null;

  /** Extra facts for consumers (names, labels, affected agents); never secrets. */
  @Column('jsonb', { default: {} })
  payload: Record<string, unknown>;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @Column('timestamptz', { nullable: true })
  publishedAt: Date | null;
}
