import { Column, CreateDateColumn, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import type { AgentConfig } from './agent-config';
import { AgentEntity } from './agent.entity';

/** One immutable version of an agent's configuration. Rows are only ever inserted. */
@Entity('agent_versions')
export class AgentVersionEntity {
  @PrimaryColumn('uuid')
  agentId: string;

  /** 1, 2, 3 … per agent, without gaps. */
  @PrimaryColumn('integer')
  version: number;

  /** Declared for the foreign key only; never loaded. */
  @ManyToOne(() => AgentEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'agent_id' })
  agent?: AgentEntity;

  @Column('uuid')
  tenantId: string;

  @Column('jsonb')
  config: AgentConfig;

  /** `sha256:<hex>` of the config's RFC 8785 canonical JSON. */
  @Column('text')
  configHash: string;

  /** `user:<sub>`, `api_key:<id>` or `system`. */
  @Column('text')
  createdBy: string;

  /** Why this version was made. */
  @Column('text', { nullable: true })
  note: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
