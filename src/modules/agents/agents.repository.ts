import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager, IsNull } from 'typeorm';
import { TenantScopedRepository } from '../../shared/database/tenant-scoped.repository';
import { AgentEntity, AgentStatus } from './agent.entity';

/** Key of the per-tenant advisory lock that serialises agent creation (first half of the pair). */
const AGENT_CREATION_LOCK = 7_202_613;

export interface AgentFilter {
  tag?: string;
  status?: AgentStatus;
  q?: string;
  limit: number;
  offset: number;
  /** Only agents after this one in the list's order (name, then id). */
  after?: { name: string; id: string };
}

type AgentChanges = Partial<Pick<AgentEntity, 'name' | 'tags' | 'status' | 'currentVersion' | 'deletedAt'>>;

function likePattern(q: string): string {
  return `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

@Injectable()
export class AgentsRepository extends TenantScopedRepository<AgentEntity> {
  constructor(dataSource: DataSource) {
    super(dataSource, AgentEntity);
  }

  findActive(tenantId: string, id: string, manager?: EntityManager): Promise<AgentEntity | null> {
    return this.findOneScoped(tenantId, { id, deletedAt: IsNull() }, manager);
  }

  /** The live agent, locked until the transaction ends: every change to one agent goes through here. */
  lockActive(tenantId: string, id: string, manager: EntityManager): Promise<AgentEntity | null> {
    return this.scopedQuery(tenantId, 'a', manager)
      .andWhere('a.id = :id', { id })
      .andWhere('a.deleted_at IS NULL')
      .setLock('pessimistic_write')
      .getOne();
  }

  /**
   * Serialises agent creation within one tenant until the transaction ends, so that counting
   * agents against `max_agents` and checking a name cannot race another create.
   */
  async lockCreation(tenantId: string, manager: EntityManager): Promise<void> {
    await manager.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [AGENT_CREATION_LOCK, tenantId]);
  }

  countActive(tenantId: string, manager?: EntityManager): Promise<number> {
    return this.countScoped(tenantId, { deletedAt: IsNull() }, manager);
  }

  async nameTaken(tenantId: string, name: string, exceptId: string | null, manager?: EntityManager) {
    const query = this.scopedQuery(tenantId, 'a', manager)
      .andWhere('a.name = :name', { name })
      .andWhere('a.deleted_at IS NULL');
    if (exceptId) query.andWhere('a.id <> :exceptId', { exceptId });
    return (await query.getCount()) > 0;
  }

  insert(
    tenantId: string,
    values: Pick<
      AgentEntity,
      'name' | 'tags' | 'status' | 'currentVersion' | 'templateId' | 'templateVersion'
    >,
    manager: EntityManager,
  ): Promise<AgentEntity> {
    return this.insertScoped(tenantId, values, manager);
  }

  /** Applies the changes and returns the new `updated_at`. */
  async update(tenantId: string, id: string, changes: AgentChanges, manager: EntityManager): Promise<Date> {
    const result = await this.repo(manager)
      .createQueryBuilder()
      .update()
      .set(changes)
      .where('tenant_id = :tenantId AND id = :id', { tenantId, id })
      .returning('updated_at')
      .execute();
    return new Date((result.raw as Array<{ updated_at: Date | string }>)[0].updated_at);
  }

  /**
   * One page of live agents by name, and how many match. Both queries stay on `agents` (its
   * partial unique index on tenant and name gives the order); only a search by description looks
   * into the current version. The caller loads the page's versions.
   */
  async list(tenantId: string, filter: AgentFilter): Promise<[AgentEntity[], number]> {
    const query = this.scopedQuery(tenantId, 'a').andWhere('a.deleted_at IS NULL');
    if (filter.status) query.andWhere('a.status = :status', { status: filter.status });
    if (filter.tag) query.andWhere('a.tags @> :tags::jsonb', { tags: JSON.stringify([filter.tag]) });
    if (filter.q) {
      query.andWhere(
        // A correlated scalar subquery: one primary-key lookup per agent of this tenant. (EXISTS
        // let the planner hash a scan of every tenant's versions instead.)
        `(a.name ILIKE :q ESCAPE '\\' OR (
           SELECT v.config ->> 'description' FROM agent_versions v
           WHERE v.agent_id = a.id AND v.version = a.current_version
         ) ILIKE :q ESCAPE '\\')`,
        { q: likePattern(filter.q) },
      );
    }
    const counted = await query.clone().select('COUNT(*)::int', 'count').getRawOne<{ count: number }>();
    if (filter.after) {
      query.andWhere('(a.name, a.id) > (:afterName, :afterId::uuid)', {
        afterName: filter.after.name,
        afterId: filter.after.id,
      });
    }
    // One more than the page: whether a page follows.
    const page = await query
      .orderBy('a.name', 'ASC')
      .addOrderBy('a.id', 'ASC')
      .limit(filter.limit + 1)
      .offset(filter.offset)
      .getMany();
    return [page, counted?.count ?? 0];
  }
}
