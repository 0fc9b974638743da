import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
} from 'typeorm';
import { TenantEntity } from '../tenants/tenant.entity';

/** Who changed what, when, before and after, under which request. Rows are never updated. */
@Entity('audit_log')
@Index(['tenantId', 'createdAt'])
@Index(['tenantId', 'resourceType', 'resourceId', 'createdAt'])
export class AuditEntryEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('uuid')
  tenantId: string;

  /** Declared for the foreign key only; never loaded. */
  @ManyToOne(() => TenantEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'tenant_id' })
  tenant?: TenantEntity;

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
