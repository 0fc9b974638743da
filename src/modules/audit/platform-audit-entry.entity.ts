import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * What a platform operator did outside any tenant (platform service keys, which read every
 * tenant): who, what, when, before and after, under which request. Rows are never updated.
 */
@Entity('platform_audit_log')
@Index('IDX_platform_audit_created', ['createdAt'])
export class PlatformAuditEntryEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  /** `user:<sub>` or `api_key:<id>`. */
  @Column('text')
  actor: string;

  /** `<resource>.<verb>`, e.g. `platform_key.created`. */
  @Column('text')
  action: string;

  @Column('text')
  resourceType: string;

  @Column('text')
  resourceId: string;

  @Column('jsonb', { nullable: true })
  before: Record<string, unknown> | null;

  @Column('jsonb', { nullable: true })
  after: Record<string, unknown> | null;

  @Column('text', { nullable: true })
  requestId: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
