import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager, In, IsNull, Not, Or } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { TenantScopedRepository } from '../../shared/database/tenant-scoped.repository';
import type { RunEvent } from './run-events.repository';
import { RunEntity, RunMetrics, RunStatus } from './run.entity';
import { UUID_SHAPE } from '../../shared/http/uuid-param';

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

/** What the end of an execution stores on the run besides its status. */
export interface SettledValues {
  metrics: RunMetrics;
  responseContent?: string;
  error?: string;
  finishedAt?: Date;
}

export interface AdmitRunInput {
  tenantId: string;
  sessionId: string;
  multitask: 'reject' | 'enqueue' | 'interrupt';
  maxActive: number;
  agentId: string;
  agentVersion: number;
  agentLabel: string | null;
  config: Record<string, unknown>;
  userId: string | null;
  inputQuery: string;
  metrics: Partial<RunMetrics>;
  onDisconnect: string;
  instanceId: string;
}

/** The admission's answer: the run, or why not (a busy session, the tenant's concurrent runs). */
export type Admission =
  | { outcome: 'admitted'; run: RunEntity; busy: string[]; active: number }
  | { outcome: 'busy'; busy: string[]; active: number }
  | { outcome: 'limit'; busy: string[]; active: number };

interface AdmissionRow {
  outcome: 'admitted' | 'busy' | 'limit';
  busy: string[];
  active?: number;
  id?: string;
  status: RunStatus;
  created_at?: string;
  updated_at?: string;
  heartbeat_at?: string | null;
}

/** A finished step: its row, and the checkpoint and run metrics after it (see `recordStep`). */
export interface StepRecord {
  stepNum: number;
  type: string;
  /** The messages sent to the model. */
  sent: unknown[];
  modelResponse: Record<string, unknown>;
  toolCalls: unknown[];
  stepMetrics: Record<string, number>;
  /** The conversation after the step, for the checkpoint. */
  messages: unknown[];
  runMetrics: Record<string, number>;
  agentConfig: Record<string, unknown>;
  description: string;
}

/** The step that ends a run, stored by `settle` with its checkpoint (whose id the caller chose). */
export interface FinalStep extends StepRecord {
  checkpointId: string;
}

/** `p_step` of agentry_settle_run. */
function finalStepJson(step: FinalStep) {
  return {
    step_num: step.stepNum,
    type: step.type,
    messages: step.sent,
    model_response: step.modelResponse,
    tool_calls: step.toolCalls,
    metrics: step.stepMetrics,
    checkpoint: {
      id: step.checkpointId,
      messages: step.messages,
      metrics: step.runMetrics,
      agent_config: step.agentConfig,
      description: step.description,
    },
  };
}

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

  /**
   * Admits a new run in one statement (the agentry_admit_run function): under the tenant's and the
   * session's locks, refuses a busy session (`reject`) or a full tenant, else inserts the run,
   * queued behind the session's runs (`enqueue`) or running on `instanceId`.
   *
   * Its commit does not wait for the WAL to reach the disk (`synchronous_commit` off for this
   * transaction only): under load that wait, behind the other writes' flushes, was the larger part
   * of the admission, which a chat's first token waits for. What it risks is narrow: only a crash
   * of the database server itself in the moment after an admission can forget that run (the app
   * crashing loses nothing), the run's stream breaks with that crash anyway, and the first thing
   * the run stores (its first events, within the event flush interval) commits durably and carries
   * the admission with it, the WAL being flushed in order.
   */
  async admit(input: AdmitRunInput): Promise<Admission> {
    const rows = (await this.dataSource.query(
      `SELECT agentry_admit_run($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10, $11::jsonb, $12, $13) AS a,
              set_config('synchronous_commit', 'off', true)`,
      [
        input.tenantId,
        input.sessionId,
        input.multitask,
        input.maxActive,
        input.agentId,
        input.agentVersion,
        input.agentLabel,
        JSON.stringify(input.config),
        input.userId,
        input.inputQuery,
        JSON.stringify(input.metrics),
        input.onDisconnect,
        input.instanceId,
      ],
    )) as Array<{ a: AdmissionRow }>;
    const row = rows[0].a;
    if (row.outcome === 'busy') return { outcome: 'busy', busy: row.busy, active: row.active ?? 0 };
    if (row.outcome === 'limit') return { outcome: 'limit', busy: row.busy, active: row.active ?? 0 };
    const run = this.repo().create({
      tenantId: input.tenantId,
      agentId: input.agentId,
      agentVersion: input.agentVersion,
      agentLabel: input.agentLabel,
      config: input.config,
      userId: input.userId,
      sessionId: input.sessionId,
      status: row.status,
      inputQuery: input.inputQuery,
      responseContent: null,
      error: null,
      metrics: input.metrics,
      intent: null,
      onDisconnect: input.onDisconnect,
      instanceId: row.status === 'running' ? input.instanceId : null,
      heartbeatAt: row.heartbeat_at ? new Date(row.heartbeat_at) : null,
      parentRunId: null,
      forkedFromCheckpointId: null,
      startCheckpointId: null,
      createdAt: new Date(row.created_at!),
      updatedAt: new Date(row.updated_at!),
      finishedAt: null,
    });
    run.id = row.id!;
    return { outcome: 'admitted', run, busy: row.busy, active: row.active ?? 0 };
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

  /**
   * Ends an execution in one statement (the agentry_settle_run function): the final step's row and
   * checkpoint when given, the run's last events and its move from `running` to `status` commit
   * together, no lock (the run's row, the run statistics row its trigger updates) is held for a
   * round trip, and the session's oldest queued run, if any, is handed to `instanceId`. `moved` is
   * false when the run was no longer running (swept); the events are stored all the same. Given
   * fields replace the stored ones.
   */
  async settle(
    run: Pick<RunEntity, 'tenantId' | 'id' | 'sessionId'>,
    events: RunEvent[],
    status: RunStatus,
    values: SettledValues,
    instanceId: string,
    step?: FinalStep,
  ): Promise<{ moved: boolean; next: string | null }> {
    const [row] = (await this.dataSource.query(
      `SELECT agentry_settle_run($1, $2, $3, $4, $5::jsonb, $6, $7, $8, $9::json, $10::jsonb, $11) AS s`,
      [
        run.tenantId,
        run.id,
        run.sessionId,
        status,
        JSON.stringify(values.metrics),
        values.responseContent ?? null,
        values.error ?? null,
        values.finishedAt ?? null,
        JSON.stringify(events),
        step ? JSON.stringify(finalStepJson(step)) : null,
        instanceId,
      ],
    )) as Array<{ s: { moved: boolean; next: string | null } }>;
    return row.s;
  }

  /**
   * What a finished step leaves behind, in one statement: the step row (replacing the one of the
   * same number, as after a restore), the automatic checkpoint and the run's metrics so far.
   * Answers the checkpoint's id.
   */
  async recordStep(tenantId: string, runId: string, step: StepRecord): Promise<string> {
    const rows = (await this.dataSource.query(
      `WITH step AS (
         INSERT INTO run_steps (run_id, step_num, tenant_id, type, messages, model_response, tool_calls, metrics)
         VALUES ($2, $3, $1, $4, $5::jsonb, $6::jsonb, $7::jsonb, $8::jsonb)
         ON CONFLICT (run_id, step_num) DO UPDATE SET type = EXCLUDED.type, messages = EXCLUDED.messages,
           model_response = EXCLUDED.model_response, tool_calls = EXCLUDED.tool_calls,
           metrics = EXCLUDED.metrics
       ), run AS (
         UPDATE runs SET metrics = $10::jsonb, updated_at = now() WHERE tenant_id = $1 AND id = $2
       )
       INSERT INTO checkpoints (tenant_id, run_id, step_num, status, messages, metrics, agent_config,
                                description, tags, kind)
       VALUES ($1, $2, $3, 'running', $9::jsonb, $10::jsonb, $11::jsonb, $12, '[]'::jsonb, 'auto')
       RETURNING id`,
      [
        tenantId,
        runId,
        step.stepNum,
        step.type,
        JSON.stringify(step.sent),
        JSON.stringify(step.modelResponse),
        JSON.stringify(step.toolCalls),
        JSON.stringify(step.stepMetrics),
        JSON.stringify(step.messages),
        JSON.stringify(step.runMetrics),
        JSON.stringify(step.agentConfig),
        step.description,
      ],
    )) as Array<{ id: string }>;
    return rows[0].id;
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

  /** Stores a pause intent on a running run, unless a cancel is already on its way to it. */
  async requestPause(tenantId: string, id: string): Promise<boolean> {
    return (
      (await this.updateScoped(
        tenantId,
        { id, status: 'running', intent: Or(IsNull(), Not('cancel')) },
        { intent: 'pause' },
      )) > 0
    );
  }

  /**
   * Earlier completed runs of the session (created before `before`, when given), oldest first: the
   * conversation a new run sees.
   */
  sessionHistory(
    tenantId: string,
    sessionId: string,
    before: Date | null,
    limit: number,
  ): Promise<RunEntity[]> {
    const query = this.scopedQuery(tenantId, 'r').andWhere(
      'r.session_id = :sessionId AND r.status = :status',
      {
        sessionId,
        status: 'completed',
      },
    );
    if (before) query.andWhere('r.created_at < :before', { before });
    return query
      .orderBy('r.created_at', 'DESC')
      .take(limit)
      .getMany()
      .then((rows) => rows.reverse());
  }

  /** The agent's status by id or name, or null when it does not exist (deleted counts as absent). */
  async agentStatus(tenantId: string, idOrName: string): Promise<{ id: string; status: string } | null> {
    const rows = (await this.dataSource.query(
      `SELECT id, status FROM agents WHERE tenant_id = $1 AND deleted_at IS NULL AND ${UUID_SHAPE.test(idOrName) ? 'id' : 'name'} = $2`,
      [tenantId, idOrName],
    )) as Array<{ id: string; status: string }>;
    return rows[0] ?? null;
  }

  /**
   * Hands the oldest queued run of a session to this instance, if the session has no running run
   * (one statement: the agentry_claim_next_queued function, under the session's lock); its id.
   */
  async claimNextQueued(tenantId: string, sessionId: string, instanceId: string): Promise<string | null> {
    const [row] = (await this.dataSource.query('SELECT agentry_claim_next_queued($1, $2, $3) AS id', [
      tenantId,
      sessionId,
      instanceId,
    ])) as Array<{ id: string | null }>;
    return row.id;
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
   * Hands back a run this instance is executing as `interrupted` (it is shutting down), with the
   * run's last events, in one statement. The final event (`run_interrupted`) is stored only when
   * the run moved: one a sweep or a cancel took meanwhile keeps its own ending. Answers whether it
   * moved. A cancel asked for and not yet applied is left to the sweep, which ends it cancelled.
   */
  async interrupt(
    run: Pick<RunEntity, 'tenantId' | 'id'>,
    events: RunEvent[],
    metrics: RunMetrics,
    instanceId: string,
  ): Promise<boolean> {
    const rows = (await this.dataSource.query(
      `WITH moved AS (
         UPDATE runs SET status = 'interrupted', metrics = $4::jsonb, instance_id = NULL, intent = NULL,
                updated_at = now()
         WHERE tenant_id = $1 AND id = $2 AND status = 'running' AND instance_id = $5
           AND intent IS DISTINCT FROM 'cancel'
         RETURNING id
       ), stored AS (
         INSERT INTO run_events (run_id, seq, tenant_id, type, data, created_at)
         SELECT $2, (e->>'seq')::int, $1, e->>'type', e->'data', (e->>'timestamp')::timestamptz
         FROM json_array_elements($3::json) AS e
         WHERE e->>'type' <> 'run_interrupted' OR EXISTS (SELECT 1 FROM moved)
         ON CONFLICT DO NOTHING
       )
       SELECT count(*)::int AS moved FROM moved`,
      [run.tenantId, run.id, JSON.stringify(events), JSON.stringify(metrics), instanceId],
    )) as Array<{ moved: number }>;
    return rows[0].moved > 0;
  }

  /**
   * Puts a run claimed from its session's queue back there, when this instance stops before
   * starting it: a live instance starts it (see orphanedQueues).
   */
  async requeue(tenantId: string, runId: string, instanceId: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE runs SET status = 'queued', instance_id = NULL, heartbeat_at = NULL, updated_at = now()
       WHERE tenant_id = $1 AND id = $2 AND status = 'running' AND instance_id = $3`,
      [tenantId, runId, instanceId],
    );
  }

  /**
   * Sessions, across tenants, whose queue has no running run to wait for: its run was swept or
   * handed back at a shutdown (neither hands the queue on), or the hand-over after its end failed.
   * Queued for `olderThanMs` at least, so that a hand-over under way is not raced for nothing.
   */
  async orphanedQueues(
    olderThanMs: number,
    limit: number,
  ): Promise<Array<{ tenantId: string; sessionId: string }>> {
    const rows = (await this.dataSource.query(
      `SELECT q.tenant_id, q.session_id FROM runs q
       WHERE q.status = 'queued' AND q.updated_at < now() - make_interval(secs => $1::double precision / 1000)
         AND NOT EXISTS (SELECT 1 FROM runs r WHERE r.tenant_id = q.tenant_id AND r.session_id = q.session_id
                           AND r.status = 'running')
       GROUP BY q.tenant_id, q.session_id
       LIMIT $2`,
      [olderThanMs, limit],
    )) as Array<{ tenant_id: string; session_id: string }>;
    return rows.map((row) => ({ tenantId: row.tenant_id, sessionId: row.session_id }));
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
