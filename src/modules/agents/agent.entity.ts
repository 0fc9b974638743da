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

export const AGENT_STATUSES = ['active', 'inactive'] as const;
export type AgentStatus = (typeof AGENT_STATUSES)[number];

/**
 * An agent: its identity (name, tags, status) and a pointer to its current version. The
 * configuration itself lives in immutable `agent_versions` rows. Deleting sets `deleted_at`, so
 * versions stay for audit and the name is free again (the unique index skips deleted rows).
 */
@Entity('agents')
@Index('UQ_agents_tenant_name', ['tenantId', 'name'], { unique: true, where: 'deleted_at IS NULL' })
export class AgentEntity {
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

  @Column('jsonb', { default: [] })
  tags: string[];

  @Column('text', { default: 'active' })
  status: AgentStatus;

  /** The `latest` version: the highest version number, always present. */
  @Column('integer')
  currentVersion: number;

  /** The template this agent was instantiated from, if any (kept even if the template goes). */
  @Column('uuid', { nullable: true })
  templateId: string | null;

  @Column('integer', { nullable: true })
  templateVersion: number | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;

  @Column('timestamptz', { nullable: true })
  deletedAt: Date | null;
}
