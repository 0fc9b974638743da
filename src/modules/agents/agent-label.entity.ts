import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import { AgentEntity } from './agent.entity';

/** A named pointer (`production`, `staging` …) at one of an agent's versions. `latest` is implicit. */
@Entity('agent_labels')
export class AgentLabelEntity {
  @PrimaryColumn('uuid')
  agentId: string;

  @PrimaryColumn('text')
  label: string;

  /** Declared for the foreign key only; never loaded. */
  @ManyToOne(() => AgentEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'agent_id' })
  agent?: AgentEntity;

  @Column('uuid')
  tenantId: string;

  @Column('integer')
  version: number;

  @Column('text')
  updatedBy: string;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
