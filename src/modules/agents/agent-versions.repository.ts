import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { TenantScopedRepository } from '../../shared/database/tenant-scoped.repository';
import { AgentVersionEntity } from './agent-version.entity';

/** Versions are immutable: this repository inserts and reads, never updates or deletes. */
@Injectable()
export class AgentVersionsRepository extends TenantScopedRepository<AgentVersionEntity> {
  constructor(dataSource: DataSource) {
    super(dataSource, AgentVersionEntity);
  }

  insert(
    tenantId: string,
    values: Omit<AgentVersionEntity, 'tenantId' | 'createdAt' | 'agent'>,
    manager: EntityManager,
  ): Promise<AgentVersionEntity> {
    return this.insertScoped(tenantId, values, manager);
  }

  find(
    tenantId: string,
    agentId: string,
    version: number,
    manager?: EntityManager,
  ): Promise<AgentVersionEntity | null> {
    return this.findOneScoped(tenantId, { agentId, version }, manager);
  }

  /** Newest first, without the configs (a list shows their hashes). */
  list(tenantId: string, agentId: string, limit: number, offset: number) {
    return this.findAndCountScoped(tenantId, {
      where: { agentId },
      select: {
        agentId: true,
        version: true,
        configHash: true,
        createdBy: true,
        createdAt: true,
        note: true,
      },
      order: { version: 'DESC' },
      take: limit,
      skip: offset,
    });
  }
}
