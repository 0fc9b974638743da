import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { TenantScopedRepository } from '../../shared/database/tenant-scoped.repository';
import { AgentLabelEntity } from './agent-label.entity';

/** Callers hold the agent's row lock (AgentsRepository.lockActive) when they change labels. */
@Injectable()
export class AgentLabelsRepository extends TenantScopedRepository<AgentLabelEntity> {
  constructor(dataSource: DataSource) {
    super(dataSource, AgentLabelEntity);
  }

  listForAgent(tenantId: string, agentId: string, manager?: EntityManager): Promise<AgentLabelEntity[]> {
    return this.repo(manager).find({ where: this.scoped(tenantId, { agentId }), order: { label: 'ASC' } });
  }

  find(tenantId: string, agentId: string, label: string, manager?: EntityManager) {
    return this.findOneScoped(tenantId, { agentId, label }, manager);
  }

  async set(
    tenantId: string,
    values: Pick<AgentLabelEntity, 'agentId' | 'label' | 'version' | 'updatedBy'>,
    manager: EntityManager,
  ): Promise<AgentLabelEntity> {
    const { agentId, label, ...changes } = values;
    const updated = await this.updateScoped(tenantId, { agentId, label }, changes, manager);
    if (updated === 0) await this.insertScoped(tenantId, values, manager);
    return (await this.find(tenantId, agentId, label, manager)) as AgentLabelEntity;
  }

  async delete(tenantId: string, agentId: string, label: string, manager: EntityManager): Promise<void> {
    await this.repo(manager).delete(this.scoped(tenantId, { agentId, label }));
  }
}
