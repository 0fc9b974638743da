import { Column, CreateDateColumn, PrimaryGeneratedColumn } from 'typeorm';

/** What every audit row says: who changed what, when, before and after, under which request. */
export abstract class AuditFields {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  /** `user:<sub>`, `api_key:<id>` or `system`. */
  @Column('text')
  actor: string;

  /** `<resource>.<verb>`, e.g. `tenant.created`, `api_key.revoked`. */
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
