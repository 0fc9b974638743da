import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager, In } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { TenantScopedRepository } from '../../shared/database/tenant-scoped.repository';
import { RunEntity, RunStatus } from './run.entity';

export interface RunFilters {
  agent_id?: string;
  user_id?: string;
  session_id?: string;
  status?: RunStatus;
}

/** Raw `runs` row columns the sweep and heartbeat need. */
interface RunControlRow {
  id: string;
  tenant_id: string;
  status: RunStatus;
  intent: string | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

@Injectable()
export class RunsRepository extends TenantScopedRepository<RunEntity> {
  constructor(dataSource: DataSource) {
    super(dataSource, RunEntity);
  }

  get manager(): EntityManager {
    return this.dataSource.manager;
  }

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  /** Serialises run admission per tenant (limits, busy sessions, queue hand-over) until commit. */
  async lockTenant(tenantId: string, manager: EntityManager): Promise<void> {
    await manager.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`runs:${tenantId}`]);
  }

  /** Serialises what concerns one session (busy check, queue hand-over) until commit. */
  async lockSession(tenantId: string, sessionId: string, manager: EntityManager): Promise<void> {
    await manager.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`runs:${tenantId}:${sessionId}`]);
  }

  /** Active runs of the tenant created no later than this one (itself included). */
  async countActiveUpTo(tenantId: string, run: RunEntity): Promise<number> {
    const rows = (await this.dataSource.query(
      // Compared in SQL: created_at has microseconds, a JavaScript Date only milliseconds.
      `SELECT count(*)::int AS n FROM runs r, (SELECT created_at, id FROM runs WHERE id = $2) me
       WHERE r.tenant_id = $1 AND r.status IN ('queued', 'running') AND (r.created_at, r.id) <= (me.created_at, me.id)`,
      [tenantId, run.id],
    )) as Array<{ n: number }>;
    return rows[0].n;
  }

  /** Removes a run that was refused right after its insert (it never started). */
  async remove(tenantId: string, id: string): Promise<void> {
    await this.repo().delete(this.scoped(tenantId, { id }));
  }

  findById(tenantId: string, id: string, manager?: EntityManager): Promise<RunEntity | null> {
    return this.findOneScoped(tenantId, { id }, manager);
  }

  async list(
    tenantId: string,
    filters: RunFilters,
    limit: number,
    offset: number,
  ): Promise<[RunEntity[], number]> {
    const query = this.scopedQuery(tenantId, 'r');
    if (filters.agent_id) query.andWhere('r.agent_id = :agentId', { agentId: filters.agent_id });
    if (filters.user_id) query.andWhere('r.user_id = :userId', { userId: filters.user_id });
    if (filters.session_id) query.andWhere('r.session_id = :sessionId', { sessionId: filters.session_id });
    if (filters.status) query.andWhere('r.status = :status', { status: filters.status });
    return query
      .orderBy('r.created_at', 'DESC')
      .addOrderBy('r.id', 'DESC')
      .take(limit)
      .skip(offset)
      .getManyAndCount();
  }

  countActive(tenantId: string, manager: EntityManager): Promise<number> {
    return this.countScoped(tenantId, { status: In(['queued', 'running']) }, manager);
  }

  activeInSession(tenantId: string, sessionId: string, manager?: EntityManager): Promise<RunEntity[]> {
    return this.repo(manager).find({
      where: this.scoped(tenantId, { sessionId, status: In(['queued', 'running']) }),
      order: { createdAt: 'ASC' },
    });
  }

  /** Moves a run from one of `from` to a new state; false when it was not in one of them. */
  async transition(
    tenantId: string,
    id: string,
    from: RunStatus[],
    values: Partial<RunEntity>,
    manager?: EntityManager,
  ): Promise<boolean> {
    return (
      (await this.updateScoped(
        tenantId,
        { id, status: In(from) },
        values as QueryDeepPartialEntity<RunEntity>,
        manager,
      )) > 0
    );
  }

  /** Earlier completed runs of the session, oldest first: the conversation a new run sees. */
  sessionHistory(tenantId: string, sessionId: string, before: Date, limit: number): Promise<RunEntity[]> {
    return this.scopedQuery(tenantId, 'r')
      .andWhere('r.session_id = :sessionId AND r.status = :status AND r.created_at < :before', {
        sessionId,
        status: 'completed',
        before,
      })
      .orderBy('r.created_at', 'DESC')
      .take(limit)
      .getMany()
      .then((rows) => rows.reverse());
  }

  /** The agent's status by id or name, or null when it does not exist (deleted counts as absent). */
  async agentStatus(tenantId: string, idOrName: string): Promise<{ id: string; status: string } | null> {
    const rows = (await this.dataSource.query(
      `SELECT id, status FROM agents WHERE tenant_id = $1 AND deleted_at IS NULL AND ${UUID.test(idOrName) ? 'id' : 'name'} = $2`,
      [tenantId, idOrName],
    )) as Array<{ id: string; status: string }>;
    return rows[0] ?? null;
  }

  /** Hands the oldest queued run of a session to this instance, if any. */
  async claimNextQueued(tenantId: string, sessionId: string, instanceId: string): Promise<RunEntity | null> {
    return this.transaction(async (manager) => {
      await this.lockSession(tenantId, sessionId, manager);
      const running = await this.countScoped(tenantId, { sessionId, status: 'running' }, manager);
      if (running > 0) return null;
      const next = await this.repo(manager).findOne({
        where: this.scoped(tenantId, { sessionId, status: 'queued' }),
        order: { createdAt: 'ASC' },
      });
      if (!next) return null;
      const claimed = await this.transition(
        tenantId,
        next.id,
        ['queued'],
        { status: 'running', instanceId, heartbeatAt: new Date() },
        manager,
      );
      return claimed ? { ...next, status: 'running', instanceId } : null;
    });
  }

  /**
   * Heartbeats this instance's runs and reads back their state and stored intent. Crosses tenants
   * on purpose: an instance executes runs of every tenant and knows them by id only.
   */
  async heartbeat(instanceId: string, ids: string[]): Promise<RunControlRow[]> {
    if (ids.length === 0) return [];
    const [rows] = (await this.dataSource.query(
      `UPDATE runs SET heartbeat_at = now() WHERE id = ANY($1::uuid[]) AND instance_id = $2
       RETURNING id, tenant_id, status, intent`,
      [ids, instanceId],
    )) as [RunControlRow[], number];
    return rows;
  }

  /**
   * Marks running runs whose instance stopped heartbeating as interrupted (or cancelled, when a
   * cancel was asked for), across tenants: any live instance sweeps for all.
   */
  async sweepStale(staleMs: number): Promise<RunControlRow[]> {
    const [rows] = (await this.dataSource.query(
      `UPDATE runs
       SET status = CASE WHEN intent = 'cancel' THEN 'cancelled' ELSE 'interrupted' END,
           finished_at = CASE WHEN intent = 'cancel' THEN now() ELSE finished_at END,
           instance_id = NULL, intent = NULL, updated_at = now()
       WHERE status = 'running' AND heartbeat_at < now() - make_interval(secs => $1::double precision / 1000)
       RETURNING id, tenant_id, status, intent`,
      [staleMs],
    )) as [RunControlRow[], number];
    return rows;
  }
}
