import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { TenantScopedRepository } from '../../shared/database/tenant-scoped.repository';
import { AgentVersionEntity } from './agent-version.entity';

/** Versions are immutable: this repository inserts and reads, never updates or deletes. */
@Injectable()
export class AgentVersionsRepository extends TenantScopedRepository<AgentVersionEntity> {
  constructor(dataSource: DataSource) {
    super(dataSource, AgentVersionEntity);
  }

  /** A plain INSERT: `save()` would first look the (given) primary key up. */
  async insert(
    tenantId: string,
    values: Omit<AgentVersionEntity, 'tenantId' | 'createdAt' | 'agent'>,
    manager: EntityManager,
  ): Promise<AgentVersionEntity> {
    this.scoped(tenantId); // refuses an empty tenant id, as every scoped method does
    const row = { ...values, tenantId };
    // TypeORM's deep-partial type trips over the inline model's index signature; the value is plain JSON.
    const result = await this.repo(manager).insert(row as QueryDeepPartialEntity<AgentVersionEntity>);
    const createdAt = (result.generatedMaps[0] as { createdAt: Date }).createdAt;
    return { ...row, createdAt };
  }

  /** The given versions (agent id and version pairs) of this tenant's agents, in one query. */
  findMany(
    tenantId: string,
    wanted: Array<{ agentId: string; version: number }>,
  ): Promise<AgentVersionEntity[]> {
    if (wanted.length === 0) return Promise.resolve([]);
    return this.scopedQuery(tenantId, 'v')
      .andWhere('(v.agent_id, v.version) IN (SELECT * FROM unnest(:ids::uuid[], :versions::int[]))', {
        ids: wanted.map((w) => w.agentId),
        versions: wanted.map((w) => w.version),
      })
      .getMany();
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
