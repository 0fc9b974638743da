import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import type { TenantLimits } from '../../shared/auth/principal';
import type { Tier } from './tiers';

/** The isolation boundary. Not tenant-scoped itself: only platform operators list tenants. */
@Entity('tenants')
export class TenantEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  /** Unique and never changed after creation. */
  @Column('text', { unique: true })
  slug: string;

  @Column('text')
  name: string;

  @Column('text')
  tier: Tier;

  /** Per-tenant replacements of single tier limits. */
  @Column('jsonb', { default: {} })
  limitOverrides: Partial<TenantLimits>;

  @Column('boolean', { default: true })
  active: boolean;

  @Column('timestamptz', { nullable: true })
  deactivatedAt: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
