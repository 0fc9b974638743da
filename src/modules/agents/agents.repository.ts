import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager, IsNull } from 'typeorm';
import { TenantScopedRepository } from '../../shared/database/tenant-scoped.repository';
import { AgentVersionEntity } from './agent-version.entity';
import { AgentEntity, AgentStatus } from './agent.entity';

/** Key of the per-tenant advisory lock that serialises agent creation (first half of the pair). */
const AGENT_CREATION_LOCK = 7_202_613;

export interface AgentFilter {
  tag?: string;
  status?: AgentStatus;
  q?: string;
  limit: number;
  offset: number;
}

/** An agent with its current version, as lists show it. */
export type AgentWithVersion = AgentEntity & { current: AgentVersionEntity };

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

  /** One page of live agents, by name, each with its current version. */
  list(tenantId: string, filter: AgentFilter): Promise<[AgentWithVersion[], number]> {
    const query = this.scopedQuery(tenantId, 'a')
      .innerJoinAndMapOne(
        'a.current',
        AgentVersionEntity,
        'v',
        'v.agent_id = a.id AND v.version = a.current_version',
      )
      .andWhere('a.deleted_at IS NULL');
    if (filter.status) query.andWhere('a.status = :status', { status: filter.status });
    if (filter.tag) query.andWhere('a.tags @> :tags::jsonb', { tags: JSON.stringify([filter.tag]) });
    if (filter.q) {
      query.andWhere("(a.name ILIKE :q ESCAPE '\\' OR v.config ->> 'description' ILIKE :q ESCAPE '\\')", {
        q: likePattern(filter.q),
      });
    }
    // limit/offset rather than take/skip: the join is one-to-one, so no de-duplicating subquery.
    return query
      .orderBy('a.name', 'ASC')
      .addOrderBy('a.id', 'ASC')
      .limit(filter.limit)
      .offset(filter.offset)
      .getManyAndCount() as Promise<[AgentWithVersion[], number]>;
  }
}
