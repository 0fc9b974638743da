import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { TenantPrincipal } from '../../shared/auth/principal';
import { commonError } from '../../shared/errors/common.errors';
import type { SseStream } from '../../shared/http/sse';
import {
  assertReviewPassed,
  checkPromptLength,
  checkProviderAllowed,
  findingsAsDetails,
} from '../agents/agent-rules';
import { agentError } from '../agents/agents.errors';
import { ConfigReviewService } from '../config/config-review.service';
import { ResolvedConfigService } from '../internal/resolved-config.service';
import { CheckpointEntity } from './checkpoint.entity';
import { CheckpointsRepository } from './checkpoints.repository';
import {
  CheckpointListResponseDto,
  CheckpointResponseDto,
  CheckpointSummaryDto,
  toCheckpointResponse,
  toCheckpointSummary,
} from './dto/checkpoint-response.dto';
import type { CreateCheckpointDto } from './dto/create-checkpoint.dto';
import type { ListRunsQueryDto } from './dto/list-runs-query.dto';
import {
  RunControlResponseDto,
  RunDetailResponseDto,
  RunEventListResponseDto,
  toRunEventDto,
  RunListResponseDto,
  toRunResponse,
  toRunStep,
} from './dto/run-response.dto';
import { toRunConfig } from './run-config';
import { RunEventHub } from './run-event-hub';
import { RunEventsRepository } from './run-events.repository';
import { emptyMetrics, historyTurns, RunExecutor, RunState } from './run-executor.service';
import { RunStepsRepository } from './run-steps.repository';
import { FINAL_EVENTS, RunStreamsService } from './run-streams.service';
import { RunEntity, RunStatus, TERMINAL_STATUSES } from './run.entity';
import { runError } from './runs.errors';
import { RunsRepository } from './runs.repository';
import { countFinishedRun } from '../../shared/metrics/metrics';

export type Multitask = 'reject' | 'enqueue' | 'interrupt';

export interface NewRun {
  agentIdOrName: string;
  label?: string;
  version?: number;
  message: string;
  userId?: string | null;
  sessionId: string;
  /** The request named no session: one was made up for it, so it has no earlier turns. */
  newSession?: boolean;
  multitask: Multitask;
  onDisconnect: string;
}

/** A run from a checkpoint: `fork` and `restore` with a new run. */
export interface RunFromCheckpoint {
  systemPrompt?: string;
  modifiedQuery?: string;
  /** A fork: its starting point is marked on the new run, with this description if given. */
  fork?: { description?: string };
}

/** How long pause and cancel wait for the executing instance to act before answering. */
const CONTROL_WAIT_MS = 5_000;
/** Admission statements of one tenant this instance has in the database at once. */
const ADMISSIONS_IN_FLIGHT = 4;
/** How long a non-streamed chat waits between checks of the stored state (besides live events). */
const STATE_POLL_MS = 1_000;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Runs: admission (limits, busy sessions), queries, and control (pause, resume, cancel) from any
 * instance. Executing them is the RunExecutor's job; control reaches it by bus and stored intent.
 */
@Injectable()
export class RunsService {
  private readonly admissions = new Map<string, { inFlight: number; waiting: Array<() => void> }>();
  /** Each tenant's active runs as counted by this instance's latest admission for it. */
  private readonly activeRuns = new Map<string, number>();

  constructor(
    private readonly runs: RunsRepository,
    private readonly events: RunEventsRepository,
    private readonly steps: RunStepsRepository,
    private readonly checkpoints: CheckpointsRepository,
    private readonly executor: RunExecutor,
    private readonly streams: RunStreamsService,
    private readonly hub: RunEventHub,
    private readonly configs: ResolvedConfigService,
    private readonly review: ConfigReviewService,
  ) {}

  // ---- admission -------------------------------------------------------------------------

  /**
   * Creates a run (running here, or queued behind its session) and starts it. `beforeStart` runs
   * once the run exists and before its first event, so a stream attached there misses nothing.
   */
  async create(
    principal: TenantPrincipal,
    input: NewRun,
    beforeStart?: (run: RunEntity) => void,
  ): Promise<RunEntity> {
    const tenantId = principal.tenant.id;
    if (input.label !== undefined && input.version !== undefined) {
      throw commonError('VALIDATION_FAILED', 'Validation failed: give a label or a version, not both', [
        { field: 'label', code: 'exclusive', message: 'label and version exclude each other' },
      ]);
    }
    const resolved = await this.resolve(principal, input.agentIdOrName, input.label, input.version);
    // The session's earlier turns are read beside the admission; a session the request did not
    // name is new and has none.
    const history = input.newSession
      ? Promise.resolve([])
      : this.runs.sessionHistory(tenantId, input.sessionId, null, historyTurns(resolved.config));
    history.catch(() => undefined);
    const maxActive = principal.tenant.limits.max_concurrent_runs;
    const pinned = { agentId: resolved.agent_id, agentVersion: resolved.version, config: resolved.config };
    // A new session has no run to be busy with; while the tenant is well below its concurrent
    // runs, the run is as good as admitted, so its first model call starts now, beside the
    // admission. (If another instance filled the tenant's runs meanwhile, the call is aborted.)
    const early =
      input.newSession && this.roomFor(tenantId, maxActive)
        ? this.executor.beginFirstCall(
            tenantId,
            pinned,
            this.executor.stateFrom({ config: resolved.config, inputQuery: input.message }, []),
          )
        : undefined;
    let started = false;
    try {
      // One statement under the tenant's lock; this instance has a few per tenant in flight (see
      // `gated`), so a burst of chats waits here without holding database connections.
      const admission = await this.gated(tenantId, () =>
        this.runs.admit({
          tenantId,
          sessionId: input.sessionId,
          multitask: input.multitask,
          maxActive,
          ...pinned,
          agentLabel: input.version === undefined ? (input.label ?? null) : null,
          userId: input.userId ?? null,
          inputQuery: input.message,
          metrics: emptyMetrics(),
          onDisconnect: input.onDisconnect,
          instanceId: this.executor.instanceId,
        }),
      );
      // A busy session's answer does not count the tenant's runs.
      if (admission.outcome !== 'busy') this.activeRuns.set(tenantId, admission.active);
      if (admission.outcome === 'limit') throw this.overCapacity(principal, admission.active);
      if (admission.outcome === 'busy') {
        throw sessionBusy(input.sessionId, admission.busy[0]);
      }
      const { run } = admission;
      if (input.multitask === 'interrupt') {
        for (const id of admission.busy) {
          const other = await this.runs.findById(tenantId, id);
          if (other) await this.requestCancel(other);
        }
      }
      const state = run.status === 'running' ? this.executor.stateFrom(run, await history) : null;
      beforeStart?.(run);
      if (state) {
        this.executor.start(run, state, false, early);
        started = true;
      }
      return run;
    } finally {
      if (!started) early?.abort.abort();
    }
  }

  /**
   * Whether the tenant's runs, as this instance last counted them at an admission, leave room for
   * the admissions it has in flight and one more, with a margin (other instances admit too).
   */
  private roomFor(tenantId: string, maxActive: number): boolean {
    const counted = this.activeRuns.get(tenantId);
    if (counted === undefined) return false;
    const gate = this.admissions.get(tenantId);
    const inFlight = gate ? gate.inFlight + gate.waiting.length : 0;
    return counted + inFlight + 1 < maxActive * 0.9;
  }

  /**
   * A new run continuing from a checkpoint, linked to its parent (fork, restore as a new run). It
   * starts a session of its own: its history is the checkpoint's messages, so it neither waits for
   * a run of its parent's session nor adds a second answer to that session's history.
   */
  async createFromCheckpoint(
    principal: TenantPrincipal,
    checkpoint: CheckpointEntity,
    changes: RunFromCheckpoint,
  ): Promise<{ run: RunEntity; mark: CheckpointEntity | null }> {
    const tenantId = principal.tenant.id;
    const parent = await this.runs.findById(tenantId, checkpoint.runId);
    if (!parent) throw runError('RUN_NOT_FOUND', `No run ${checkpoint.runId}`);
    const config = { ...checkpoint.agentConfig };
    await this.assertStillRunnable(principal, parent.agentId, config);
    if (changes.systemPrompt !== undefined) {
      config.system_prompt = changes.systemPrompt;
      // The new prompt is held to the tier's limit, as it would be on the agent itself.
      const { limits, tier } = principal.tenant;
      const over = checkPromptLength(changes.systemPrompt, limits, tier).map((finding) => ({
        ...finding,
        path: '/modifications/system_prompt',
      }));
      if (over.length > 0) {
        throw agentError(
          'TIER_LIMIT_EXCEEDED',
          `Tier limit exceeded: ${over[0].message}`,
          findingsAsDetails(over),
        );
      }
      // And to the review an agent's prompt passes (instruction overrides, pasted secrets…).
      assertReviewPassed(
        await this.review.reviewTexts(
          tenantId,
          { system_prompt: changes.systemPrompt, description: null },
          '/modifications',
        ),
        'The system prompt',
      );
    }
    const state = this.executor.stateOf(checkpoint, emptyMetrics(), changes.modifiedQuery);
    let mark: CheckpointEntity | null = null;
    const run = await this.admit(tenantId, async (manager) => {
      await this.assertCapacity(principal, manager);
      const created = await this.insertRun(
        tenantId,
        {
          agentId: parent.agentId,
          agentVersion: parent.agentVersion,
          agentLabel: parent.agentLabel,
          config,
          userId: parent.userId,
          sessionId: randomUUID(),
          inputQuery: changes.modifiedQuery ?? parent.inputQuery,
          onDisconnect: 'continue',
          status: 'running',
          parentRunId: parent.id,
          forkedFromCheckpointId: checkpoint.id,
          metrics: state.metrics,
        },
        manager,
      );
      // Marked before the run starts: its own checkpoints come after the mark, newest last.
      if (changes.fork)
        mark = await this.markFork(created, checkpoint, state, changes.fork.description, manager);
      return created;
    });
    this.executor.start(run, state);
    return { run, mark };
  }

  /** Continues the same run from one of its checkpoints (restore without a new run). */
  async restoreInPlace(
    principal: TenantPrincipal,
    checkpoint: CheckpointEntity,
    modifiedQuery?: string,
  ): Promise<RunEntity> {
    const tenantId = principal.tenant.id;
    const run = await this.getRun(tenantId, checkpoint.runId);
    await this.assertStillRunnable(principal, run.agentId, checkpoint.agentConfig);
    const from: RunStatus[] = ['paused', 'interrupted', 'completed', 'failed', 'cancelled'];
    // The state it goes on from, once it is claimed; null when it could not be.
    const state = await this.admit(tenantId, async (manager): Promise<RunState | null> => {
      if (!from.includes(run.status)) return null;
      await this.assertSessionFree(run, manager);
      await this.assertCapacity(principal, manager);
      const moved = await this.runs.transition(
        tenantId,
        run.id,
        from,
        {
          status: 'running',
          instanceId: this.executor.instanceId,
          heartbeatAt: new Date(),
          intent: null,
          finishedAt: null,
          error: null,
          ...(modifiedQuery !== undefined ? { inputQuery: modifiedQuery } : {}),
        },
        manager,
      );
      if (!moved) return null;
      // The run goes on consuming: what it spent before the restore stays in its metrics, as
      // they are now it is ours (a restore just before this one may have added to them).
      const claimedRun = (await this.runs.findById(tenantId, run.id, manager))!;
      const restored = this.executor.stateOf(checkpoint, claimedRun.metrics, modifiedQuery);
      // The steps after the checkpoint's belong to the path left behind: its run details list
      // the path to its new answer (its checkpoints stay, as the history they are).
      await this.steps.deleteAfter(tenantId, run.id, restored.stepNum, manager);
      // The restored state is where the run now is: a resume before its next step goes on from
      // here, not from the newest checkpoint of the path left behind.
      await this.checkpoints.create(
        tenantId,
        {
          runId: run.id,
          stepNum: restored.stepNum,
          status: 'running',
          messages: restored.messages,
          metrics: { ...restored.metrics },
          agentConfig: checkpoint.agentConfig,
          description: `restored from ${checkpoint.id}`,
          tags: ['restore'],
          kind: 'restore',
        },
        manager,
      );
      return restored;
    });
    if (!state) throw this.illegal(run, 'restored in place');
    const fresh = (await this.runs.findById(tenantId, run.id))!;
    this.executor.start(fresh, state, true);
    return fresh;
  }

  // ---- queries ---------------------------------------------------------------------------

  async list(tenantId: string, query: ListRunsQueryDto): Promise<RunListResponseDto> {
    const [rows, total] = await this.runs.list(tenantId, query, query.limit, query.offset);
    return { total, limit: query.limit, offset: query.offset, items: rows.map(toRunResponse) };
  }

  async get(tenantId: string, id: string): Promise<RunDetailResponseDto> {
    const run = await this.getRun(tenantId, id);
    const steps = await this.steps.forRun(tenantId, id);
    return { ...toRunResponse(run), steps: steps.map(toRunStep) };
  }

  async getRun(tenantId: string, id: string): Promise<RunEntity> {
    const run = await this.runs.findById(tenantId, id);
    if (!run) throw runError('RUN_NOT_FOUND', `No run ${id}`);
    return run;
  }

  async listEvents(
    tenantId: string,
    id: string,
    offset: number,
    limit: number,
  ): Promise<RunEventListResponseDto> {
    await this.getRun(tenantId, id);
    const [events, total] = await this.events.page(tenantId, id, offset, limit);
    return { run_id: id, total, events: events.map(toRunEventDto) };
  }

  /**
   * Checks the run, then opens the stream (`open` sends the headers) and follows it after `after`.
   * A run that has ended, joined after its final event, has nothing more to send: `ended` answers
   * then (204, which tells an EventSource that reconnects after the stream closed to stop, where
   * an open stream would hold it for ever).
   */
  async stream(
    tenantId: string,
    id: string,
    after: number,
    open: () => SseStream,
    ended: () => void,
  ): Promise<void> {
    const run = await this.getRun(tenantId, id);
    const terminal = TERMINAL_STATUSES.includes(run.status);
    if (terminal) {
      const last = await this.events.last(tenantId, id);
      if (last && FINAL_EVENTS.has(last.type) && after >= last.seq) return ended();
    }
    await this.streams.follow(tenantId, id, after, open(), { ended: terminal });
  }

  /** Follows a run just created here from its first event (the chat stream); attaches before it returns. */
  follow(tenantId: string, run: RunEntity, sse: SseStream): Promise<void> {
    sse.onClose(() => {
      // The client did not go away: this instance ended the stream (shutting down, credentials).
      if (!sse.closedByServer) this.clientGone(run);
    });
    return this.streams.follow(tenantId, run.id, 0, sse, { fresh: true });
  }

  /**
   * The client of a chat went away before its answer (its stream closed, or it stopped waiting for
   * the JSON one): a run started with `on_disconnect: cancel` is cancelled, if it has not ended.
   */
  clientGone(run: RunEntity): void {
    if (run.onDisconnect !== 'cancel') return;
    void this.runs
      .findById(run.tenantId, run.id)
      .then((current) =>
        current && !TERMINAL_STATUSES.includes(current.status) ? this.cancelRun(current) : null,
      )
      .catch(() => undefined);
  }

  /**
   * Waits for the run to end (completed, failed, cancelled) or stop (paused, interrupted), or for
   * `gone` (its client left): then it answers the run as it is.
   */
  async waitForEnd(tenantId: string, runId: string, gone?: AbortSignal): Promise<RunEntity> {
    const stopped: RunStatus[] = [...TERMINAL_STATUSES, 'interrupted', 'paused'];
    const stopEvents = new Set([...FINAL_EVENTS, 'run_interrupted', 'run_paused']);
    let wake: () => void = () => undefined;
    const detach = this.hub.attach(runId, (events) => {
      if (events.some((e) => stopEvents.has(e.type))) wake();
    });
    const onGone = () => wake();
    gone?.addEventListener('abort', onGone);
    try {
      for (;;) {
        const woken = new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, STATE_POLL_MS).unref();
        });
        const run = await this.getRun(tenantId, runId);
        if (stopped.includes(run.status) || gone?.aborted) return run;
        await woken;
      }
    } finally {
      detach();
      gone?.removeEventListener('abort', onGone);
    }
  }

  // ---- control ---------------------------------------------------------------------------

  async pause(tenantId: string, id: string): Promise<RunControlResponseDto> {
    const run = await this.getRun(tenantId, id);
    if (run.status !== 'running') throw this.illegal(run, 'paused');
    if (!(await this.runs.requestPause(tenantId, id))) {
      const now = (await this.runs.findById(tenantId, id)) ?? run;
      if (now.status === 'running' && now.intent === 'cancel') {
        throw runError('INVALID_RUN_STATE', 'A run being cancelled cannot be paused', [
          {
            field: 'status',
            code: 'cancelling',
            message: 'a cancel is on its way to the run',
            status: now.status,
          },
        ]);
      }
      throw this.illegal(now, 'paused');
    }
    await this.executor.signal(id, 'pause');
    const after = await this.waitForStatus(tenantId, id, ['paused', ...TERMINAL_STATUSES]);
    return {
      run_id: id,
      status: after.status,
      message:
        after.status === 'paused'
          ? 'Run paused'
          : after.status === 'running'
            ? 'Pause requested: the run pauses at its next step boundary'
            : `Run ${after.status}`,
    };
  }

  async resume(principal: TenantPrincipal, id: string): Promise<RunControlResponseDto> {
    const tenantId = principal.tenant.id;
    const run = await this.getRun(tenantId, id);
    if (run.status !== 'paused' && run.status !== 'interrupted') throw this.illegal(run, 'resumed');
    await this.assertStillRunnable(principal, run.agentId, run.config);
    const claimed = await this.admit(tenantId, async (manager) => {
      await this.assertSessionFree(run, manager);
      await this.assertCapacity(principal, manager);
      return this.runs.transition(
        tenantId,
        id,
        ['paused', 'interrupted'],
        { status: 'running', instanceId: this.executor.instanceId, heartbeatAt: new Date(), intent: null },
        manager,
      );
    });
    if (!claimed) throw this.illegal((await this.runs.findById(tenantId, id)) ?? run, 'resumed');
    const fresh = (await this.runs.findById(tenantId, id))!;
    const checkpoint = await this.checkpoints.latest(tenantId, id);
    const state: RunState = checkpoint
      ? this.executor.stateOf(checkpoint, fresh.metrics)
      : { ...(await this.executor.initialState(fresh)), metrics: { ...emptyMetrics(), ...fresh.metrics } };
    this.executor.start(fresh, state, true);
    return { run_id: id, status: 'running', message: 'Run resumed' };
  }

  async cancel(tenantId: string, id: string): Promise<RunControlResponseDto> {
    const run = await this.getRun(tenantId, id);
    if (TERMINAL_STATUSES.includes(run.status)) throw this.illegal(run, 'cancelled');
    await this.cancelRun(run);
    let after = await this.waitForStatus(tenantId, id, [...TERMINAL_STATUSES, 'paused']);
    // It paused as the cancel reached it (the pause was already past its last check): a paused
    // run is cancelled directly.
    if (after.status === 'paused') {
      await this.requestCancel(after);
      after = await this.waitForStatus(tenantId, id, TERMINAL_STATUSES);
    }
    return {
      run_id: id,
      status: after.status,
      message:
        after.status === 'cancelled' ? 'Run cancelled' : `Cancel requested; the run is ${after.status}`,
    };
  }

  // ---- checkpoints -----------------------------------------------------------------------

  async listCheckpoints(
    tenantId: string,
    runId: string,
    offset: number,
    limit: number,
  ): Promise<CheckpointListResponseDto> {
    await this.getRun(tenantId, runId);
    const [rows, total] = await this.checkpoints.list(tenantId, runId, limit, offset);
    return { run_id: runId, total, checkpoints: rows.map(toCheckpointSummary) };
  }

  /** A named checkpoint of the run's latest state (its last step's, or its start). */
  async createCheckpoint(
    tenantId: string,
    runId: string,
    dto: CreateCheckpointDto,
  ): Promise<CheckpointSummaryDto> {
    const run = await this.getRun(tenantId, runId);
    const latest = await this.checkpoints.latest(tenantId, runId);
    const initial = latest ? null : await this.executor.initialState(run);
    const created = await this.checkpoints.create(tenantId, {
      runId,
      stepNum: latest?.stepNum ?? 0,
      status: run.status,
      messages: latest?.messages ?? initial!.messages,
      metrics: latest?.metrics ?? { ...initial!.metrics },
      agentConfig: run.config,
      description: dto.description ?? null,
      tags: dto.tags ?? [],
      kind: 'manual',
    });
    return toCheckpointSummary(created);
  }

  async getCheckpointEntity(tenantId: string, id: string): Promise<CheckpointEntity> {
    const checkpoint = await this.checkpoints.findById(tenantId, id);
    if (!checkpoint) throw runError('CHECKPOINT_NOT_FOUND', `No checkpoint ${id}`);
    return checkpoint;
  }

  async getCheckpoint(tenantId: string, id: string): Promise<CheckpointResponseDto> {
    return toCheckpointResponse(await this.getCheckpointEntity(tenantId, id));
  }

  /**
   * Marks a fork's starting point on the new run, so it lists where it came from: the state it
   * starts from (its modified query included), which a resume or restore of it goes back to.
   */
  private markFork(
    run: RunEntity,
    from: CheckpointEntity,
    state: RunState,
    description: string | undefined,
    manager: EntityManager,
  ): Promise<CheckpointEntity> {
    return this.checkpoints.create(
      run.tenantId,
      {
        runId: run.id,
        stepNum: state.stepNum,
        status: 'running',
        messages: state.messages,
        metrics: { ...state.metrics },
        agentConfig: run.config,
        description: description ?? `forked from ${from.id}`,
        tags: ['fork'],
        kind: 'fork',
      },
      manager,
    );
  }

  // ---- helpers ---------------------------------------------------------------------------

  /**
   * A run going on again (resumed, restored in place) takes its session's turn: not while another
   * run of the session has it (one started while this one was paused, say). Inside the admission.
   */
  private async assertSessionFree(run: RunEntity, manager: EntityManager): Promise<void> {
    const busy = (await this.runs.activeInSession(run.tenantId, run.sessionId, manager)).filter(
      (other) => other.id !== run.id,
    );
    if (busy.length > 0) throw sessionBusy(run.sessionId, busy[0].id);
  }

  /**
   * Admissions of a tenant queue here, in process, at most ADMISSIONS_IN_FLIGHT at a time, so
   * that a burst waits without holding database connections (waiting on the advisory lock would
   * pin one each and starve the runs already executing); the advisory lock then orders them in
   * the database, across instances. More than one in flight: one admission's round trip (a busy
   * event loop and database make it ~10 ms) no longer caps a tenant at ~100 chats per second,
   * since the lock itself is held only while the statement runs and commits (well under 1 ms).
   */
  private gated<T>(tenantId: string, work: () => Promise<T>): Promise<T> {
    let gate = this.admissions.get(tenantId);
    if (!gate) {
      gate = { inFlight: 0, waiting: [] };
      this.admissions.set(tenantId, gate);
    }
    const open = gate;
    // A finished admission hands its place to the next waiting one, if any.
    const release = () => {
      const next = open.waiting.shift();
      if (next) next();
      else if (--open.inFlight === 0) this.admissions.delete(tenantId);
    };
    // Through a promise even if work throws at once, so that its place is always given back.
    const run = (): Promise<T> => Promise.resolve().then(work).finally(release);
    if (open.inFlight < ADMISSIONS_IN_FLIGHT) {
      open.inFlight++;
      return run();
    }
    return new Promise<void>((resolve) => open.waiting.push(resolve)).then(run);
  }

  /** An admission transaction under the tenant's lock (fork, restore, resume), queued as above. */
  private admit<T>(tenantId: string, work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.gated(tenantId, () =>
      this.runs.transaction(async (manager) => {
        await this.runs.lockTenant(tenantId, manager);
        return work(manager);
      }),
    );
  }

  /**
   * The agent's resolved configuration from the shared cache (no database read when it holds it),
   * if it can run: a known provider, allowed by the tenant's limits as they are now. Only when the
   * cache finds no active agent is the agent looked up, to tell inactive (409) from absent.
   */
  private async resolve(principal: TenantPrincipal, idOrName: string, label?: string, version?: number) {
    const tenantId = principal.tenant.id;
    let parsed: { agent_id: string; version: number; config: Record<string, unknown> };
    try {
      const body = await this.configs.resolve(tenantId, idOrName, { label, version });
      parsed = JSON.parse(body.body.toString('utf8')) as typeof parsed;
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'AGENT_NOT_FOUND' && (await this.runs.agentStatus(tenantId, idOrName))) {
        throw runError('AGENT_INACTIVE', `Agent ${idOrName} is inactive; activate it to run it`);
      }
      if (code === 'LABEL_NOT_FOUND' || code === 'VERSION_NOT_FOUND' || code === 'AGENT_NOT_FOUND') {
        throw runError('AGENT_NOT_FOUND', (error as Error).message);
      }
      throw error;
    }
    const model = parsed.config.model;
    const runConfig = toRunConfig(parsed.config);
    if (!isObject(model) || !runConfig.model || !['openai', 'scripted'].includes(runConfig.model.provider)) {
      throw runError(
        'MODEL_NOT_RUNNABLE',
        typeof model === 'string'
          ? `The model component ${model} is not resolved to a provider; give the agent an inline model {provider, model, …}`
          : `The agent's model cannot be run (providers: openai, scripted)`,
      );
    }
    this.assertProviderAllowed(principal, runConfig.model.provider);
    return parsed;
  }

  /**
   * A run continuing or forked from what was saved before runs only as a new chat would: its
   * agent is still active (deactivating an agent stops it from running; 409, as chat answers) and
   * its model's provider still allowed.
   */
  private async assertStillRunnable(
    principal: TenantPrincipal,
    agentId: string,
    config: Record<string, unknown>,
  ): Promise<void> {
    const agent = await this.runs.agentStatus(principal.tenant.id, agentId);
    if (agent?.status !== 'active') {
      throw runError(
        'AGENT_INACTIVE',
        agent
          ? `Agent ${agentId} is inactive; activate it to run it`
          : `Agent ${agentId} was deleted; its runs can be read, not run`,
        [
          {
            field: 'agent_id',
            code: agent ? 'inactive' : 'deleted',
            message: `the agent is ${agent ? 'inactive' : 'deleted'}`,
            agent_id: agentId,
          },
        ],
      );
    }
    this.assertProviderAllowed(principal, toRunConfig(config).model?.provider);
  }

  /**
   * The tenant's limits as they are now allow the provider (a run, checkpoint or version saved
   * before the limits changed may name one they no longer allow).
   */
  private assertProviderAllowed(principal: TenantPrincipal, provider: string | undefined): void {
    if (provider === undefined) return;
    const { limits, tier } = principal.tenant;
    const refused = checkProviderAllowed(provider, limits, tier).map((f) => ({
      ...f,
      path: 'model.provider',
    }));
    if (refused.length > 0)
      throw runError('MODEL_NOT_RUNNABLE', refused[0].message, findingsAsDetails(refused));
  }

  private async assertCapacity(principal: TenantPrincipal, manager: EntityManager): Promise<void> {
    const limit = principal.tenant.limits.max_concurrent_runs;
    const active = await this.runs.countActive(principal.tenant.id, manager);
    if (active >= limit) throw this.overCapacity(principal, active);
  }

  private overCapacity(principal: TenantPrincipal, active: number) {
    const limit = principal.tenant.limits.max_concurrent_runs;
    return runError(
      'CONCURRENT_RUNS_EXCEEDED',
      `Your tier allows ${limit} concurrent runs; ${active} are in progress`,
      [{ code: 'max_concurrent_runs', message: `at most ${limit} runs at once`, limit }],
    );
  }

  private insertRun(
    tenantId: string,
    values: Partial<RunEntity>,
    manager: EntityManager,
  ): Promise<RunEntity> {
    const running = values.status === 'running';
    return this.runs.insertScoped(
      tenantId,
      {
        agentLabel: null,
        userId: null,
        metrics: emptyMetrics(),
        ...values,
        instanceId: running ? this.executor.instanceId : null,
        heartbeatAt: running ? new Date() : null,
      },
      manager,
    );
  }

  /** Cancels a run in whatever state it is: by signal when executing, directly otherwise. */
  private async cancelRun(run: RunEntity): Promise<void> {
    const { tenantId, id } = run;
    if (await this.runs.transition(tenantId, id, ['running'], { intent: 'cancel' })) {
      await this.executor.signal(id, 'cancel');
      return;
    }
    await this.requestCancel(run);
  }

  /** Cancels a run nobody executes (queued, paused, interrupted), or signals the executing one. */
  private async requestCancel(run: RunEntity): Promise<void> {
    const { tenantId, id } = run;
    const event = await this.runs.transaction(async (manager) => {
      const done = await this.runs.transition(
        tenantId,
        id,
        ['queued', 'paused', 'interrupted'],
        { status: 'cancelled', intent: null, finishedAt: new Date() },
        manager,
      );
      return done ? this.events.append(tenantId, id, 'run_cancelled', { run_id: id }, manager) : null;
    });
    if (event) countFinishedRun('cancelled');
    if (event) this.hub.publish(id, [event]);
    else if (await this.runs.transition(tenantId, id, ['running'], { intent: 'cancel' })) {
      await this.executor.signal(id, 'cancel');
    }
  }

  private async waitForStatus(
    tenantId: string,
    id: string,
    wanted: readonly RunStatus[],
  ): Promise<RunEntity> {
    const deadline = Date.now() + CONTROL_WAIT_MS;
    let wake: () => void = () => undefined;
    const detach = this.hub.attach(id, () => wake());
    try {
      for (;;) {
        const woken = new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 100).unref();
        });
        const run = await this.getRun(tenantId, id);
        if (wanted.includes(run.status) || Date.now() >= deadline) return run;
        await woken;
      }
    } finally {
      detach();
    }
  }

  private illegal(run: RunEntity, action: string) {
    const article = /^[aeiou]/.test(run.status) ? 'An' : 'A';
    return runError('INVALID_RUN_STATE', `${article} ${run.status} run cannot be ${action}`, [
      {
        field: 'status',
        code: 'invalid_transition',
        message: `the run is ${run.status}`,
        status: run.status,
      },
    ]);
  }
}

/** 409 SESSION_BUSY, naming the run that has the session's turn. */
function sessionBusy(sessionId: string, runId: string) {
  return runError('SESSION_BUSY', `Session ${sessionId} already has a run in progress`, [
    { field: 'session_id', code: 'busy', message: 'the session is busy', run_id: runId },
  ]);
}
