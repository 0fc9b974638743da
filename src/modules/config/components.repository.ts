import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager, In } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { TenantScopedRepository } from '../../shared/database/tenant-scoped.repository';
import { ComponentChangeEntity } from './component-change.entity';
import { ComponentEntity, ComponentType } from './component.entity';

export interface ComponentFilter {
  type?: ComponentType;
  tag?: string;
  enabled?: boolean;
  limit: number;
  offset: number;
}

export interface AgentUsage {
  id: string;
  name: string;
}

@Injectable()
export class ComponentsRepository extends TenantScopedRepository<ComponentEntity> {
  constructor(dataSource: DataSource) {
    super(dataSource, ComponentEntity);
  }

  findByName(tenantId: string, name: string, manager?: EntityManager): Promise<ComponentEntity | null> {
    return this.findOneScoped(tenantId, { name }, manager);
  }

  findByNames(tenantId: string, names: string[], manager?: EntityManager): Promise<ComponentEntity[]> {
    if (names.length === 0) return Promise.resolve([]);
    return this.repo(manager).find({ where: this.scoped(tenantId, { name: In(names) }) });
  }

  /** The component, locked until the transaction ends: every change of one component queues here. */
  lockByName(tenantId: string, name: string, manager: EntityManager): Promise<ComponentEntity | null> {
    return this.scopedQuery(tenantId, 'c', manager)
      .andWhere('c.name = :name', { name })
      .setLock('pessimistic_write')
      .getOne();
  }

  /** Serialises the creation of one name within a tenant (two PUTs of a new name race otherwise). */
  async lockName(tenantId: string, name: string, manager: EntityManager): Promise<void> {
    await manager.query('SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))', [
      tenantId,
      `component:${name}`,
    ]);
  }

  list(tenantId: string, filter: ComponentFilter): Promise<[ComponentEntity[], number]> {
    const query = this.scopedQuery(tenantId, 'c');
    if (filter.type) query.andWhere('c.type = :type', { type: filter.type });
    if (filter.enabled !== undefined) query.andWhere('c.enabled = :enabled', { enabled: filter.enabled });
    if (filter.tag) query.andWhere('c.tags @> :tags::jsonb', { tags: JSON.stringify([filter.tag]) });
    return query.orderBy('c.name', 'ASC').limit(filter.limit).offset(filter.offset).getManyAndCount();
  }

  /**
   * A plain INSERT: `save(create())` deep-merges jsonb values into a fresh object and so drops keys
   * named like `Object.prototype` members (a tool schema's `toString` property, say).
   */
  async insert(
    tenantId: string,
    values: Pick<
      ComponentEntity,
      'name' | 'type' | 'description' | 'enabled' | 'tags' | 'config' | 'version'
    >,
    manager: EntityManager,
  ): Promise<ComponentEntity> {
    this.scoped(tenantId); // refuses an empty tenant id, as every scoped method does
    const row = { ...values, tenantId };
    const result = await this.repo(manager).insert(row as QueryDeepPartialEntity<ComponentEntity>);
    const generated = result.generatedMaps[0] as Pick<ComponentEntity, 'id' | 'createdAt' | 'updatedAt'>;
    return { ...row, id: generated.id, createdAt: generated.createdAt, updatedAt: generated.updatedAt };
  }

  async update(
    tenantId: string,
    id: string,
    values: Pick<ComponentEntity, 'description' | 'enabled' | 'tags' | 'config' | 'version'>,
    manager: EntityManager,
  ): Promise<Date> {
    const result = await this.repo(manager)
      .createQueryBuilder()
      .update()
      .set(values as QueryDeepPartialEntity<ComponentEntity>)
      .where('tenant_id = :tenantId AND id = :id', { tenantId, id })
      .returning('updated_at')
      .execute();
    return new Date((result.raw as Array<{ updated_at: Date | string }>)[0].updated_at);
  }

  async delete(tenantId: string, id: string, manager: EntityManager): Promise<void> {
    await this.repo(manager).delete(this.scoped(tenantId, { id }));
  }

  /**
   * The live agents whose current version, or a version a label pins, names this component (as
   * model, tool, memory or knowledge): a run or a read by label still resolves it. Reads the
   * agents' tables directly, read-only and filtered by tenant, as the resolved-config reader does:
   * the agents module depends on this one, not the other way round.
   */
  async agentsUsing(tenantId: string, name: string, manager?: EntityManager): Promise<AgentUsage[]> {
    const rows = (await (manager ?? this.dataSource.manager).query(
      `SELECT a.id, a.name
       FROM agents a
       WHERE a.tenant_id = $1 AND a.deleted_at IS NULL
         AND EXISTS (
           SELECT 1 FROM agent_versions v
           WHERE v.agent_id = a.id
             AND (v.version = a.current_version
                  OR v.version IN (SELECT l.version FROM agent_labels l WHERE l.agent_id = a.id))
             AND (v.config -> 'model' = to_jsonb($2::text) OR v.config -> 'tools' ? $2
                  OR v.config ->> 'memory' = $2 OR v.config ->> 'knowledge' = $2))
       ORDER BY a.name`,
      [tenantId, name],
    )) as AgentUsage[];
    return rows;
  }
}

@Injectable()
export class ComponentChangesRepository extends TenantScopedRepository<ComponentChangeEntity> {
  constructor(dataSource: DataSource) {
    super(dataSource, ComponentChangeEntity);
  }

  /** A plain INSERT, for the same reason as ComponentsRepository.insert. */
  async insert(
    tenantId: string,
    values: Omit<ComponentChangeEntity, 'id' | 'tenantId' | 'createdAt' | 'tenant'>,
    manager: EntityManager,
  ): Promise<void> {
    this.scoped(tenantId);
    await this.repo(manager).insert({ ...values, tenantId } as QueryDeepPartialEntity<ComponentChangeEntity>);
  }

  /** Newest first. */
  list(
    tenantId: string,
    name: string,
    limit: number,
    offset: number,
  ): Promise<[ComponentChangeEntity[], number]> {
    return this.findAndCountScoped(tenantId, {
      where: { componentName: name },
      order: { createdAt: 'DESC', version: 'DESC' },
      take: limit,
      skip: offset,
    });
  }
}
