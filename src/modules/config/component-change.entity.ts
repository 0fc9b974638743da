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

export const COMPONENT_CHANGE_TYPES = ['created', 'updated', 'deleted'] as const;
export type ComponentChangeType = (typeof COMPONENT_CHANGE_TYPES)[number];

/**
 * One change of a component, kept by name so that history outlives a delete. Old and new
 * documents are stored masked: history never holds a secret, sealed or not.
 */
@Entity('component_changes')
@Index(['tenantId', 'componentName', 'createdAt'])
export class ComponentChangeEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('uuid')
  tenantId: string;

  /** Declared for the foreign key only; never loaded. */
  @ManyToOne(() => TenantEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'tenant_id' })
  tenant?: TenantEntity;

  @Column('uuid')
  componentId: string;

  @Column('text')
  componentName: string;

  /** The component's version after the change (before it, for a delete). */
  @Column('integer')
  version: number;

  @Column('text')
  changeType: ComponentChangeType;

  @Column('jsonb', { nullable: true })
  oldConfig: Record<string, unknown> | null;

  @Column('jsonb', { nullable: true })
  newConfig: Record<string, unknown> | null;

  /** `user:<sub>`, `api_key:<id>` or `system`. */
  @Column('text')
  actor: string;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
