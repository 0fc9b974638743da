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
import type { Role } from '../../shared/auth/permissions';

/** An API key, stored only as its SHA-256 hash; the prefix is what people see to tell keys apart. */
@Entity('api_keys')
@Index(['tenantId', 'createdAt'])
export class ApiKeyEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  /** Null only for platform keys, which act across tenants. */
  @Column('uuid', { nullable: true })
  tenantId: string;

  /** Declared for the foreign key only; never loaded. */
  @ManyToOne(() => TenantEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'tenant_id' })
  tenant?: TenantEntity;

  @Column('text')
  name: string;

  @Column('text')
  role: Role;

  @Column('boolean', { default: false })
  platform: boolean;

  /** A service key that may read component secrets decrypted on `/internal` routes. */
  @Column('boolean', { default: false })
  allowSecrets: boolean;

  /** The first characters of the key, shown in lists; unique, so a lookup finds one row. */
  @Column('text', { unique: true })
  prefix: string;

  /** Hex SHA-256 of the whole key. */
  @Column('text')
  keyHash: string;

  @Column('text')
  createdBy: string;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @Column('timestamptz', { nullable: true })
  expiresAt: Date | null;

  @Column('timestamptz', { nullable: true })
  revokedAt: Date | null;

  @Column('timestamptz', { nullable: true })
  lastUsedAt: Date | null;
}
