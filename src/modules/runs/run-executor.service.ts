import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { MessageBus } from '../../shared/events/message-bus';
import { countFinishedRun } from '../../shared/metrics/metrics';
import { APP_SETTINGS } from '../../shared/settings/settings.module';
import type { AppSettings } from '../../shared/settings/settings';
import { ResolvedConfigService } from '../internal/resolved-config.service';
import { CheckpointEntity } from './checkpoint.entity';
import { CheckpointsRepository } from './checkpoints.repository';
import { ChatMessage, ModelError, ModelProvider, ModelTurn } from './providers/model-provider';
import { OpenAiProvider } from './providers/openai.provider';
import { ScriptedProvider } from './providers/scripted.provider';
import { RunConfig, toRunConfig, withSecretsFrom } from './run-config';
import { RunEventHub } from './run-event-hub';
import { RunEventLog } from './run-event-log';
import { RunEventWriter } from './run-event-writer';
import { RunEntity, RunIntent, RunMetrics } from './run.entity';
import { RunEvent, RunEventsRepository } from './run-events.repository';
import { FinalStep, RunsRepository, SettledValues, StepRecord } from './runs.repository';
import { knowledgeFor } from './knowledge/knowledge-retrieval';
import { ToolRunner } from './tools/tool-runner';

/** Where an execution starts: the conversation so far (without the system prompt), its step and metrics. */
export interface RunState {
  messages: ChatMessage[];
  stepNum: number;
  /**
   * What the run has consumed so far: zero for a new run (one forked or restored as new too: its
   * parent's steps are the parent's), the run's own for a run that continues (resume, restore in
   * place). Tokens, duration and steps then add up over runs to what was spent.
   */
  metrics: RunMetrics;
  /** Set when continuing from a checkpoint (resume, restore). */
  checkpointId?: string;
}

export const CONTROL_CHANNEL = 'run-control';
/** Sessions whose orphaned queue one heartbeat starts, at most; the next takes the rest. */
const ORPHANED_QUEUES_PER_TICK = 100;

interface ControlMessage {
  run_id: string;
  intent: RunIntent;
}

/** A run that is no longer this instance's when it hands it back. */
class NotOurs extends Error {}

/**
 * Why an execution stops early. `lost`: the run is no longer ours (swept, claimed elsewhere);
 * `shutdown`: this instance is stopping.
 */
type StopReason = 'cancel' | 'lost' | 'shutdown';

/**
 * A run's first model call, begun while the run's admission is still in the database (see
 * `RunsService.create`), so the model's first token does not wait on that round trip. Its deltas
 * wait, in order, until the execution takes the call over; `abort` closes the request when the
 * run is not admitted after all.
 */
export interface EarlyCall {
  readonly config: Promise<RunConfig>;
  readonly call: Promise<{ sent: ChatMessage[]; turn: ModelTurn }>;
  readonly abort: AbortController;
  readonly startedAt: number;
  /** Hands the deltas so far to `onDelta`, then each one as it comes. */
  take(onDelta: (content: string) => void): void;
}

interface Execution {
  run: RunEntity;
  abort: AbortController;
  /** The first model call, when it began before the run was admitted; taken by the first step. */
  early?: EarlyCall;
  intent: RunIntent | null;
  stop: StopReason | null;
  done: Promise<void>;
  /** The run's end was stored (by `settle`), with the session's queued run it handed here, if any. */
  settled: boolean;
  next: string | null;
}

/** How many earlier runs of its session a run with this configuration sees (two messages each). */
export function historyTurns(config: Record<string, unknown>): number {
  return Math.ceil(toRunConfig(config).historyMessages / 2);
}

export function emptyMetrics(): RunMetrics {
  return { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0, duration: 0, steps: 0 };
}

/** The content of the last assistant message after the last user message ('' when none). */
function textSinceQuery(messages: ChatMessage[]): string {
  for (let i = messages.length - 1; i >= 0 && messages[i].role !== 'user'; i--)
    if (messages[i].role === 'assistant') return messages[i].content ?? '';
  return '';
}

/**
 * Executes runs on this instance: the model/tool loop, its event log and checkpoints, pause and
 * cancel (by bus message, or by the stored intent read back with each heartbeat), the heartbeat
 * itself and the sweep that marks the runs of dead instances interrupted.
 */
@Injectable()
export class RunExecutor implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('RunExecutor');
  private readonly executions = new Map<string, Execution>();
  private readonly providers: Record<string, ModelProvider> = {
    openai: new OpenAiProvider(),
    scripted: new ScriptedProvider(),
  };
  private readonly tools: ToolRunner;
  private timer: NodeJS.Timeout | null = null;
  private unsubscribe: () => void = () => undefined;
  private ticking = false;
  /** Shutting down: executions end `interrupted`, and no queued run starts here any more. */
  private stopping = false;
  /** Hand-overs to a session's next queued run under way, which a shutdown waits for. */
  private readonly handOvers = new Set<Promise<void>>();

  constructor(
    private readonly runs: RunsRepository,
    private readonly events: RunEventsRepository,
    private readonly checkpoints: CheckpointsRepository,
    private readonly hub: RunEventHub,
    private readonly writer: RunEventWriter,
    private readonly bus: MessageBus,
    private readonly configs: ResolvedConfigService,
    @Inject(APP_SETTINGS) private readonly settings: AppSettings,
  ) {
    this.tools = new ToolRunner({ allowHosts: settings.runs.httpToolAllowHosts });
  }

  get instanceId(): string {
    return this.hub.instanceId;
  }

  onApplicationBootstrap(): void {
    this.unsubscribe = this.bus.subscribe(CONTROL_CHANNEL, (payload) => {
      const message = payload as ControlMessage;
      const execution = this.executions.get(message.run_id);
      if (execution) this.apply(execution, message.intent);
    });
    this.timer = setInterval(() => void this.tick(), this.settings.runs.heartbeatMs);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    this.unsubscribe();
    if (this.timer) clearInterval(this.timer);
    // Each execution stops where it is and hands its run back as `interrupted`, resumable at once
    // from its last checkpoint on any instance (without waiting for a sweep to notice this one gone).
    this.stopping = true;
    for (const execution of this.executions.values()) {
      execution.stop = 'shutdown';
      execution.abort.abort();
    }
    while (this.executions.size > 0 || this.handOvers.size > 0) {
      await Promise.allSettled([...[...this.executions.values()].map((e) => e.done), ...this.handOvers]);
    }
  }

  isExecuting(runId: string): boolean {
    return this.executions.has(runId);
  }

  /** Resolves when this instance stops executing the run (at once if it is not). */
  async settled(runId: string): Promise<void> {
    await this.executions.get(runId)?.done;
  }

  /** Tells the instance executing a run (this or another) to pause or cancel it. */
  async signal(runId: string, intent: RunIntent): Promise<void> {
    const local = this.executions.get(runId);
    if (local) this.apply(local, intent);
    else
      await this.bus
        .publish(CONTROL_CHANNEL, { run_id: runId, intent } satisfies ControlMessage)
        .catch(() => undefined);
  }

  /** The conversation a fresh run starts with: the session's earlier turns, then its input. */
  async initialState(run: RunEntity): Promise<RunState> {
    const history = await this.runs.sessionHistory(
      run.tenantId,
      run.sessionId,
      run.createdAt,
      historyTurns(run.config),
    );
    return this.stateFrom(run, history);
  }

  /** The conversation a fresh run starts with, from the session's earlier runs (oldest first). */
  stateFrom(run: Pick<RunEntity, 'config' | 'inputQuery'>, history: RunEntity[]): RunState {
    const window = toRunConfig(run.config).historyMessages;
    const earlier: ChatMessage[] = [];
    for (const turn of history) {
      earlier.push({ role: 'user', content: turn.inputQuery });
      earlier.push({ role: 'assistant', content: turn.responseContent ?? '' });
    }
    const messages: ChatMessage[] = [
      ...earlier.slice(Math.max(0, earlier.length - window)),
      { role: 'user', content: run.inputQuery },
    ];
    return { messages, stepNum: 0, metrics: emptyMetrics() };
  }

  /**
   * Begins the first model call of a run that is being admitted with this agent version and
   * configuration, from its opening state; `start` takes it over. Nothing is stored or emitted
   * until then; abort it if the run is not admitted.
   */
  beginFirstCall(
    tenantId: string,
    pinned: { agentId: string; agentVersion: number; config: Record<string, unknown> },
    state: RunState,
  ): EarlyCall {
    const abort = new AbortController();
    const buffered: string[] = [];
    let forward: ((content: string) => void) | null = null;
    const config = this.configWithSecrets({ tenantId, ...pinned });
    const call = config.then((resolved) =>
      this.callModel(resolved, state.messages, abort.signal, (content) =>
        forward ? forward(content) : buffered.push(content),
      ),
    );
    // Observed by the step that takes it over; a call nobody takes ends unobserved.
    call.catch(() => undefined);
    return {
      config,
      call,
      abort,
      startedAt: Date.now(),
      take(onDelta) {
        for (const content of buffered.splice(0)) onDelta(content);
        forward = onDelta;
      },
    };
  }

  /**
   * The state a checkpoint holds, ready to continue with these metrics (see RunState): a final
   * answer at its end is dropped, so it is asked again.
   */
  stateOf(checkpoint: CheckpointEntity, metrics: Partial<RunMetrics>, modifiedQuery?: string): RunState {
    const messages = structuredClone(checkpoint.messages) as ChatMessage[];
    let stepNum = checkpoint.stepNum;
    const last = messages[messages.length - 1];
    if (last?.role === 'assistant' && !last.tool_calls?.length) {
      messages.pop();
      stepNum = Math.max(0, stepNum - 1);
    }
    if (modifiedQuery !== undefined) {
      const index = messages.map((m) => m.role).lastIndexOf('user');
      if (index >= 0)
        messages.splice(index, messages.length - index, { role: 'user', content: modifiedQuery });
      else messages.push({ role: 'user', content: modifiedQuery });
      // Every step of the run came after its query: with a new one, it starts over, all its
      // max_steps ahead of it.
      stepNum = 0;
    }
    return { messages, stepNum, metrics: { ...emptyMetrics(), ...metrics }, checkpointId: checkpoint.id };
  }

  /**
   * Starts executing a run this instance has claimed (status `running`, `instance_id` = ours).
   * Returns at once; `settled(run.id)` waits for the end.
   */
  start(run: RunEntity, state: RunState, resumed = false, early?: EarlyCall): void {
    const execution: Execution = {
      run,
      // The early call's controller, so that a cancel closes its request too.
      abort: early?.abort ?? new AbortController(),
      early,
      intent: null,
      // Admitted while this instance stops: handed back at once rather than left half-run.
      stop: this.stopping ? 'shutdown' : null,
      done: Promise.resolve(),
      settled: false,
      next: null,
    };
    this.executions.set(run.id, execution);
    const executed = this.hub.execute(run.id);
    execution.done = this.execute(execution, state, resumed)
      .catch((error: Error) => this.logger.error({ err: error, runId: run.id }, 'run execution crashed'))
      .finally(() => {
        // Stopped before the first step (cancelled, paused): the early call's answer is not wanted.
        if (execution.early) execution.abort.abort();
        executed();
        this.executions.delete(run.id);
        const handOver = this.startNextQueued(execution);
        this.handOvers.add(handOver);
        void handOver.finally(() => this.handOvers.delete(handOver));
      });
  }

  private apply(execution: Execution, intent: RunIntent): void {
    if (intent === 'cancel') {
      execution.intent = 'cancel';
      execution.stop = 'cancel';
      execution.abort.abort();
    } else if (execution.intent === null) {
      execution.intent = 'pause';
    }
  }

  private async execute(execution: Execution, state: RunState, resumed: boolean): Promise<void> {
    const { run } = execution;
    const tenantId = run.tenantId;
    // A new run has no events yet; a resumed one continues after its last.
    const firstSeq = resumed ? (await this.events.maxSeq(tenantId, run.id)) + 1 : 1;
    const log = new RunEventLog(tenantId, run.id, firstSeq, this.writer, this.hub);
    // A new run's first model call may have started beside its admission: it counts from there.
    const startedAt = execution.early?.startedAt ?? Date.now();
    const priorDuration = state.metrics.duration;
    const metrics = { ...state.metrics };
    const messages = [...state.messages];
    let stepNum = state.stepNum;
    // A run going on from a checkpoint has the text of its steps since its query: at max_steps,
    // the last is its answer, as it would have been without the pause.
    let response = textSinceQuery(messages);
    const config = await (execution.early?.config ?? this.configWithSecrets(run));
    const elapsed = () => Math.round((priorDuration + (Date.now() - startedAt) / 1000) * 1000) / 1000;

    try {
      if (resumed) {
        log.emit('run_resumed', { run_id: run.id, step: stepNum, checkpoint_id: state.checkpointId ?? null });
      } else {
        log.emit('run_started', {
          run_id: run.id,
          agent_id: run.agentId,
          agent_version: run.agentVersion,
          timestamp: new Date().toISOString(),
          ...(state.checkpointId ? { checkpoint_id: state.checkpointId } : {}),
        });
      }
      const provider = config.model ? this.providers[config.model.provider] : undefined;
      if (!config.model || !provider) {
        throw new ModelError(`no runnable model (provider ${config.model?.provider ?? 'missing'})`);
      }
      for (;;) {
        if (execution.stop) break;
        if (execution.intent === 'pause') {
          metrics.duration = elapsed();
          const checkpoint = await this.checkpoints.create(tenantId, {
            runId: run.id,
            stepNum,
            status: 'paused',
            messages,
            metrics: { ...metrics },
            agentConfig: run.config,
            description: 'paused',
            tags: [],
            kind: 'pause',
          });
          await log.finish(
            'run_paused',
            { run_id: run.id, step: stepNum, checkpoint_id: checkpoint.id },
            (events) => this.settle(execution, events, 'paused', { metrics }),
          );
          return;
        }
        if (stepNum >= config.maxSteps) break;
        stepNum++;
        const done = await this.step(execution, config, log, messages, stepNum, metrics, elapsed);
        if (!done) break;
        const { turn, record } = done;
        response = turn.content;
        if (turn.toolCalls.length > 0) {
          await this.recordStep(log, run, record);
          continue;
        }
        // An answer: the step, its checkpoint and the run's end are stored in one statement.
        const step = { ...record, checkpointId: randomUUID() };
        await log.finish(
          'run_completed',
          { run_id: run.id, response, metrics },
          (events) =>
            this.settle(
              execution,
              events,
              'completed',
              { metrics, responseContent: response, finishedAt: new Date() },
              step,
            ),
          this.stepEvents(run, step, step.checkpointId),
        );
        return;
      }
      metrics.duration = elapsed();
      if (execution.stop === 'cancel') {
        await log.finish('run_cancelled', { run_id: run.id, metrics }, (events) =>
          this.settle(execution, events, 'cancelled', { metrics, finishedAt: new Date() }),
        );
      } else if (execution.stop === null) {
        // max_steps reached while the model still wanted tools: the last text is the answer.
        await log.finish(
          'run_completed',
          { run_id: run.id, response, metrics, finish_reason: 'max_steps' },
          (events) =>
            this.settle(execution, events, 'completed', {
              metrics,
              responseContent: response,
              finishedAt: new Date(),
            }),
        );
      } else if (execution.stop === 'shutdown') {
        await this.interrupt(execution, log, metrics);
      } else {
        await log.flush().catch(() => undefined);
      }
    } catch (error) {
      metrics.duration = elapsed();
      if (execution.stop === 'lost') {
        await log.flush().catch(() => undefined);
      } else if (execution.stop === 'shutdown') {
        await this.interrupt(execution, log, metrics);
      } else if (execution.stop === 'cancel') {
        await log.finish('run_cancelled', { run_id: run.id, metrics }, (events) =>
          this.settle(execution, events, 'cancelled', { metrics, finishedAt: new Date() }),
        );
      } else {
        const reason =
          error instanceof ModelError ? error.message : `internal error: ${(error as Error).message}`;
        if (!(error instanceof ModelError)) this.logger.error({ err: error, runId: run.id }, 'run failed');
        await log.finish('run_failed', { run_id: run.id, error: reason, metrics }, (events) =>
          this.settle(execution, events, 'failed', { metrics, error: reason, finishedAt: new Date() }),
        );
      }
    }
  }

  /**
   * The run's configuration with component secrets (API keys, tool headers) decrypted. Runs store
   * the masked view, so no secret lands in runs, checkpoints or their API answers; the secrets are
   * read again from the pinned version when it executes, and only they (see withSecretsFrom): a
   * run resumed, restored or started from its queue later executes the configuration it stored,
   * whatever its components have become. If the agent can no longer be resolved, the stored view
   * runs as it is.
   */
  private async configWithSecrets(
    run: Pick<RunEntity, 'tenantId' | 'agentId' | 'agentVersion' | 'config'>,
  ): Promise<RunConfig> {
    try {
      const body = await this.configs.resolve(run.tenantId, run.agentId, { version: run.agentVersion }, true);
      const revealed = (JSON.parse(body.body.toString('utf8')) as { config: Record<string, unknown> }).config;
      return toRunConfig(withSecretsFrom(run.config, revealed));
    } catch {
      return toRunConfig(run.config);
    }
  }

  /**
   * One model call: the system prompt (with the knowledge for the latest question) and the
   * conversation go to the configured provider; returns what was sent and the model's turn.
   */
  private async callModel(
    config: RunConfig,
    messages: ChatMessage[],
    signal: AbortSignal,
    onDelta: (content: string) => void,
  ): Promise<{ sent: ChatMessage[]; turn: ModelTurn }> {
    const knowledge = await knowledgeFor(config, messages, signal, {
      allowHosts: this.settings.runs.httpToolAllowHosts,
    });
    const system = [config.systemPrompt, knowledge && `Knowledge:\n${knowledge}`]
      .filter(Boolean)
      .join('\n\n');
    const sent = [...(system ? [{ role: 'system' as const, content: system }] : []), ...messages];
    // The execution checks the model before its first step; an early call without one just fails.
    const turn = await this.providers[config.model!.provider].complete({
      model: config.model!,
      run: config,
      messages: sent,
      tools: config.tools,
      signal,
      onDelta,
    });
    return { sent, turn };
  }

  /**
   * One model call and the tool calls it asks for, and what the step leaves to store (see
   * `recordStep`); null when the run was stopped meanwhile.
   */
  private async step(
    execution: Execution,
    config: RunConfig,
    log: RunEventLog,
    messages: ChatMessage[],
    stepNum: number,
    metrics: RunMetrics,
    elapsed: () => number,
  ): Promise<{ turn: ModelTurn; record: StepRecord } | null> {
    const { run, early } = execution;
    execution.early = undefined;
    const stepStarted = early?.startedAt ?? Date.now();
    log.emit('step_started', { run_id: run.id, step: stepNum, type: 'llm_call' });
    const onDelta = (content: string) => log.emit('content_delta', { run_id: run.id, content });
    early?.take(onDelta);
    const { sent, turn } = await (early?.call ??
      this.callModel(config, messages, execution.abort.signal, onDelta));
    messages.push({
      role: 'assistant',
      content: turn.content,
      ...(turn.toolCalls.length ? { tool_calls: turn.toolCalls } : {}),
    });
    // Spent once the model has answered: a cancel during its tools still counts the call.
    metrics.prompt_tokens += turn.usage.prompt_tokens;
    metrics.completion_tokens += turn.usage.completion_tokens;
    metrics.total_tokens += turn.usage.prompt_tokens + turn.usage.completion_tokens;
    metrics.steps += 1;
    const toolCalls: Array<Record<string, unknown>> = [];
    for (const call of turn.toolCalls) {
      if (execution.stop) return null;
      let args: unknown = call.arguments;
      try {
        args = JSON.parse(call.arguments);
      } catch {
        // Shown as the raw text; the runner reports it as invalid JSON to the model.
      }
      log.emit('tool_call_started', { run_id: run.id, tool: call.name, call_id: call.id, args });
      const tool = config.tools.find((t) => t.name === call.name);
      const outcome = await this.tools.run(tool, call.name, call.arguments, execution.abort.signal);
      log.emit('tool_call_completed', {
        run_id: run.id,
        tool: call.name,
        call_id: call.id,
        result: outcome.result,
        ...(outcome.ok ? {} : { error: true }),
      });
      toolCalls.push({ call_id: call.id, tool: call.name, args, result: outcome.result, ok: outcome.ok });
      messages.push({ role: 'tool', tool_call_id: call.id, content: outcome.result });
    }
    const stepMetrics = {
      prompt_tokens: turn.usage.prompt_tokens,
      completion_tokens: turn.usage.completion_tokens,
      total_tokens: turn.usage.prompt_tokens + turn.usage.completion_tokens,
      duration: Math.round(Date.now() - stepStarted) / 1000,
    };
    metrics.duration = elapsed();
    return {
      turn,
      record: {
        stepNum,
        type: 'llm_call',
        sent,
        modelResponse: {
          content: turn.content,
          tool_calls: turn.toolCalls,
          finish_reason: turn.finishReason,
        },
        toolCalls,
        stepMetrics,
        messages,
        runMetrics: { ...metrics },
        agentConfig: run.config,
        description: `after step ${stepNum}`,
      },
    };
  }

  /** A step the run goes on from: its row, checkpoint and the run's metrics in one statement, then its events. */
  private async recordStep(log: RunEventLog, run: RunEntity, record: StepRecord): Promise<void> {
    const checkpointId = await this.runs.recordStep(run.tenantId, run.id, record);
    for (const event of this.stepEvents(run, record, checkpointId)) log.emit(event.type, event.data);
  }

  /** The events that close a stored step: `step_completed`, then `checkpoint_created`. */
  private stepEvents(run: RunEntity, step: StepRecord, checkpointId: string) {
    return [
      { type: 'step_completed', data: { run_id: run.id, step: step.stepNum, metrics: step.stepMetrics } },
      {
        type: 'checkpoint_created',
        data: { run_id: run.id, checkpoint_id: checkpointId, step: step.stepNum },
      },
    ];
  }

  /**
   * The final state change of an execution with the run's last events (and its final step), in
   * one statement, unless the run is no longer ours (swept); it also hands this instance the
   * session's next queued run, started once the execution is over.
   */
  private async settle(
    execution: Execution,
    events: RunEvent[],
    status: 'completed' | 'failed' | 'cancelled' | 'paused',
    values: SettledValues,
    step?: FinalStep,
  ): Promise<void> {
    const { moved, next } = await this.runs.settle(
      execution.run,
      events,
      status,
      values,
      this.instanceId,
      step,
    );
    execution.settled = true;
    execution.next = next;
    if (moved && status !== 'paused') countFinishedRun(status, values.metrics);
  }

  /**
   * Ends an execution stopped by this instance's shutdown: the run becomes `interrupted` with its
   * last events, unless it is no longer ours (then its unwritten events are still stored, and
   * the sweep or the cancel that took it tells its own ending).
   */
  private async interrupt(execution: Execution, log: RunEventLog, metrics: RunMetrics): Promise<void> {
    const { run } = execution;
    const reason = 'the instance executing it shut down';
    try {
      await log.finish('run_interrupted', { run_id: run.id, reason, metrics }, async (events) => {
        if (!(await this.runs.interrupt(run, events, metrics, this.instanceId))) throw new NotOurs();
      });
      countFinishedRun('interrupted');
    } catch (error) {
      if (error instanceof NotOurs) return;
      // The database away: the run stays `running` until a sweep marks it interrupted.
      this.logger.warn({ err: (error as Error).message, runId: run.id }, 'could not hand back the run');
    }
  }

  /**
   * When a run of a session ends, the session's next queued run (`multitask: enqueue`) starts
   * here: the one its settle claimed, or, when the execution ended without one (its run lost to
   * a sweep, the database away), one claimed now. A stopping instance claims none, and puts back
   * in the queue the one its settle claimed, for a live instance to start (see tick).
   */
  private async startNextQueued(execution: Execution): Promise<void> {
    const { run } = execution;
    try {
      if (this.stopping) {
        if (execution.settled && execution.next)
          await this.runs.requeue(run.tenantId, execution.next, this.instanceId);
        return;
      }
      const id = execution.settled
        ? execution.next
        : await this.runs.claimNextQueued(run.tenantId, run.sessionId, this.instanceId);
      if (id) await this.startClaimed(run.tenantId, id);
    } catch (error) {
      this.logger.warn(
        { err: (error as Error).message, runId: run.id },
        'could not start the next queued run',
      );
    }
  }

  /**
   * Starts here the next queued run of each session that has no running run to hand it on: its
   * run swept (above, here or on another instance) or handed back by a shutdown. Claimed under
   * the session's lock, so two instances never start the same one.
   */
  private async startOrphanedQueues(): Promise<void> {
    const sessions = await this.runs.orphanedQueues(this.settings.runs.heartbeatMs, ORPHANED_QUEUES_PER_TICK);
    for (const { tenantId, sessionId } of sessions) {
      const id = await this.runs.claimNextQueued(tenantId, sessionId, this.instanceId);
      if (!id) continue;
      this.logger.warn({ runId: id }, 'queued run started: its session had no running run to hand it on');
      await this.startClaimed(tenantId, id);
    }
  }

  /** Starts a queued run this instance has just claimed, from its session's conversation. */
  private async startClaimed(tenantId: string, id: string): Promise<void> {
    const next = await this.runs.findById(tenantId, id);
    if (next) this.start(next, await this.initialState(next));
  }

  /** Heartbeat our runs (reading back stored intents), then sweep the runs of dead instances. */
  private async tick(): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      const ids = [...this.executions.keys()];
      const rows = await this.runs.heartbeat(this.instanceId, ids);
      const seen = new Set(rows.map((row) => row.id));
      for (const row of rows) {
        const execution = this.executions.get(row.id);
        if (!execution) continue;
        if (row.status !== 'running') {
          execution.stop = 'lost';
          execution.abort.abort();
        } else if (row.intent === 'cancel' || row.intent === 'pause') {
          this.apply(execution, row.intent);
        }
      }
      // Only the runs this heartbeat asked about: runs started while it ran are not in its answer.
      for (const id of ids) {
        const execution = this.executions.get(id);
        // Claimed by someone else, or swept: not ours to finish any more.
        if (execution && !seen.has(id) && execution.run.instanceId === this.instanceId) {
          execution.stop = 'lost';
          execution.abort.abort();
        }
      }
      for (const swept of await this.runs.sweepStale(this.settings.runs.interruptedAfterMs)) {
        const type = swept.status === 'cancelled' ? 'run_cancelled' : 'run_interrupted';
        countFinishedRun(swept.status === 'cancelled' ? 'cancelled' : 'interrupted');
        // Its instance may have streamed events it never stored: this one goes past them.
        const event = await this.events.append(
          swept.tenant_id,
          swept.id,
          type,
          { run_id: swept.id },
          undefined,
          true,
        );
        this.hub.publish(swept.id, [event]);
        this.logger.warn({ runId: swept.id, status: swept.status }, 'run of a dead instance swept');
      }
      if (!this.stopping) await this.startOrphanedQueues();
    } catch (error) {
      this.logger.warn({ err: (error as Error).message }, 'run heartbeat failed; the next one retries');
    } finally {
      this.ticking = false;
    }
  }
}
