import { Column, Entity, Index, JoinColumn, ManyToOne } from 'typeorm';
import { TenantEntity } from '../tenants/tenant.entity';
import { AuditFields } from './audit-fields';

/** Who changed what in a tenant, when, before and after, under which request. Rows are never updated. */
@Entity('audit_log')
@Index(['tenantId', 'createdAt'])
@Index(['tenantId', 'resourceType', 'resourceId', 'createdAt'])
export class AuditEntryEntity extends AuditFields {
  @Column('uuid')
  tenantId: string;

  /** Declared for the foreign key only; never loaded. */
  @ManyToOne(() => TenantEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'tenant_id' })
  tenant?: TenantEntity;
}
