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
import type { AgentConfig } from '../agents/agent-config';
import { TenantEntity } from '../tenants/tenant.entity';
import type { Tier } from '../tenants/tiers';

/**
 * A reusable agent config. Global when `tenant_id` is null (platform operators manage those),
 * otherwise owned by one tenant. Names are unique among the globals and within each tenant.
 */
@Entity('templates')
@Index('UQ_templates_global_name', ['name'], { unique: true, where: 'tenant_id IS NULL' })
@Index('UQ_templates_tenant_name', ['tenantId', 'name'], { unique: true, where: 'tenant_id IS NOT NULL' })
export class TemplateEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  /** Null for a global template. */
  @Column('uuid', { nullable: true })
  tenantId: string | null;

  /** Declared for the foreign key only; never loaded. */
  @ManyToOne(() => TenantEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'tenant_id' })
  tenant?: TenantEntity;

  @Column('text')
  name: string;

  @Column('text', { nullable: true })
  description: string | null;

  @Column('jsonb', { default: [] })
  tags: string[];

  /** Tenants below this tier cannot instantiate it. */
  @Column('text', { default: 'free' })
  minTier: Tier;

  /** 1, bumped by every update; agents made from it remember the version. */
  @Column('integer', { default: 1 })
  version: number;

  /** The agent config an instance starts from (the shape of an agent version). */
  @Column('jsonb')
  config: AgentConfig;

  @Column('text')
  createdBy: string;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
