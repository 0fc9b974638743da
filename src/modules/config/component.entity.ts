import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';
import { TenantEntity } from '../tenants/tenant.entity';

export const COMPONENT_TYPES = ['model', 'tool', 'memory', 'knowledge'] as const;
export type ComponentType = (typeof COMPONENT_TYPES)[number];

/**
 * A named component (model, tool, memory, knowledge) of a tenant, at its current version. The
 * config is stored with its secrets sealed (AES-256-GCM); history keeps each change, masked.
 */
@Entity('components')
@Index('UQ_components_tenant_name', ['tenantId', 'name'], { unique: true })
export class ComponentEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('uuid')
  tenantId: string;

  /** Declared for the foreign key only; never loaded. */
  @ManyToOne(() => TenantEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'tenant_id' })
  tenant?: TenantEntity;

  @Column('text')
  name: string;

  @Column('text')
  type: ComponentType;

  @Column('text', { nullable: true })
  description: string | null;

  @Column('boolean', { default: true })
  enabled: boolean;

  @Column('jsonb', { default: [] })
  tags: string[];

  /** The type's fields, without `type`; secrets sealed. */
  @Column('jsonb', { default: {} })
  config: Record<string, unknown>;

  /** 1, 2, 3 … per component; the ETag. */
  @Column('integer')
  version: number;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
