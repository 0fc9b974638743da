import { randomUUID } from 'node:crypto';
import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { MessageBus } from '../../shared/events/message-bus';
import type { RunEvent } from './run-events.repository';

export type RunEventListener = (events: RunEvent[]) => void;

interface BusBatch {
  instance: string;
  events: RunEvent[];
}

interface Interest {
  instance: string;
  runs: string[];
}

const channelOf = (runId: string) => `run-events:${runId}`;
const INTEREST_CHANNEL = 'run-interest';
/** A following instance repeats its interest this often; the executing one forgets it after the TTL. */
const INTEREST_REFRESH_MS = 5_000;
const INTEREST_TTL_MS = 3 * INTEREST_REFRESH_MS;

/**
 * Live run events on this instance and across instances. An executing run hands its events to
 * local listeners at once (no round trip). Other instances get them over the bus only when they
 * asked: an instance following a run it does not execute subscribes to the run's channel and
 * announces its interest (again every few seconds while it follows), and the executing instance
 * publishes that run's events, batched per tick, while the interest is fresh. Runs this instance
 * does not execute (a sweep, a cancel of a queued run) always publish. Listeners may see an event
 * twice or not at all (bus delivery is best effort, and events before an interest arrives are not
 * sent): streams order by seq and fill gaps from the stored log.
 */
@Injectable()
export class RunEventHub implements OnModuleDestroy {
  readonly instanceId = randomUUID();
  private readonly listeners = new Map<string, Set<RunEventListener>>();
  private readonly unsubscribers = new Map<string, () => void>();
  private readonly outgoing = new Map<string, RunEvent[]>();
  /** Runs executing here. */
  private readonly executing = new Set<string>();
  /** Runs other instances follow, with when their interest lapses. */
  private readonly interested = new Map<string, number>();
  private flushScheduled = false;
  private readonly stopInterest: () => void;
  private readonly refresh: NodeJS.Timeout;

  constructor(private readonly bus: MessageBus) {
    this.stopInterest = this.bus.subscribe(INTEREST_CHANNEL, (payload) => {
      const interest = payload as Interest;
      if (interest.instance === this.instanceId || !Array.isArray(interest.runs)) return;
      const until = Date.now() + INTEREST_TTL_MS;
      for (const runId of interest.runs) this.interested.set(runId, until);
    });
    this.refresh = setInterval(() => this.refreshInterest(), INTEREST_REFRESH_MS).unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.refresh);
    this.stopInterest();
  }

  /**
   * Marks a run as executing here until the returned function is called: its listeners here need
   * no bus, and its events go on the bus only for instances that announced interest.
   */
  execute(runId: string): () => void {
    this.executing.add(runId);
    return () => {
      this.executing.delete(runId);
      this.interested.delete(runId);
      // Still followed here (a paused run's stream): whoever executes it next is elsewhere, maybe.
      if (this.listeners.has(runId)) this.follow(runId);
    };
  }

  /** Delivers events of a run, locally now and to other instances on the next tick. */
  publish(runId: string, events: RunEvent[]): void {
    this.deliver(runId, events);
    if (this.executing.has(runId) && !((this.interested.get(runId) ?? 0) > Date.now())) return;
    const pending = this.outgoing.get(runId);
    if (pending) pending.push(...events);
    else this.outgoing.set(runId, [...events]);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flushOutgoing());
    }
  }

  attach(runId: string, listener: RunEventListener): () => void {
    let set = this.listeners.get(runId);
    if (!set) {
      const created = new Set<RunEventListener>();
      set = created;
      this.listeners.set(runId, created);
      // Decided a moment later: a chat attaches its stream just before its run starts here.
      queueMicrotask(() => {
        if (this.listeners.get(runId) === created && !this.executing.has(runId)) this.follow(runId);
      });
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.listeners.get(runId) === set) {
        this.listeners.delete(runId);
        this.unsubscribers.get(runId)?.();
        this.unsubscribers.delete(runId);
      }
    };
  }

  /** Subscribes to a run executed elsewhere and tells the instances so. */
  private follow(runId: string): void {
    if (this.unsubscribers.has(runId)) return;
    this.unsubscribers.set(
      runId,
      this.bus.subscribe(channelOf(runId), (payload) => {
        const batch = payload as BusBatch;
        if (batch.instance !== this.instanceId) this.deliver(runId, batch.events);
      }),
    );
    this.announce([runId]);
  }

  private announce(runs: string[]): void {
    if (runs.length === 0) return;
    // Best effort: without it the follower still gets every event, from the stored log.
    this.bus
      .publish(INTEREST_CHANNEL, { instance: this.instanceId, runs } satisfies Interest)
      .catch(() => undefined);
  }

  private refreshInterest(): void {
    this.announce([...this.unsubscribers.keys()]);
    const now = Date.now();
    for (const [runId, until] of this.interested) if (until <= now) this.interested.delete(runId);
  }

  private deliver(runId: string, events: RunEvent[]): void {
    for (const listener of this.listeners.get(runId) ?? []) listener(events);
  }

  private flushOutgoing(): void {
    this.flushScheduled = false;
    const batches = [...this.outgoing.entries()].map(([runId, events]) => ({
      channel: channelOf(runId),
      payload: { instance: this.instanceId, events } satisfies BusBatch,
    }));
    this.outgoing.clear();
    // Best effort: a lost batch is read back from the stored log by the streams that miss it.
    this.bus.publishMany(batches).catch(() => undefined);
  }
}
