import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { MessageBus } from '../../shared/events/message-bus';
import type { RunEvent } from './run-events.repository';

export type RunEventListener = (events: RunEvent[]) => void;

interface BusBatch {
  instance: string;
  events: RunEvent[];
}

const channelOf = (runId: string) => `run-events:${runId}`;

/**
 * Live run events on this instance and across instances. An executing run hands its events to
 * local listeners at once (no round trip), and publishes them on the bus for listeners elsewhere,
 * batched per tick. Listeners may see an event twice or not at all (bus delivery is best effort):
 * streams order by seq and fill gaps from the stored log.
 */
@Injectable()
export class RunEventHub {
  readonly instanceId = randomUUID();
  private readonly listeners = new Map<string, Set<RunEventListener>>();
  private readonly unsubscribers = new Map<string, () => void>();
  private readonly outgoing = new Map<string, RunEvent[]>();
  private flushScheduled = false;

  constructor(private readonly bus: MessageBus) {}

  /** Delivers events of a run executed here, locally now and to other instances on the next tick. */
  publish(runId: string, events: RunEvent[]): void {
    this.deliver(runId, events);
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
      set = new Set();
      this.listeners.set(runId, set);
      this.unsubscribers.set(
        runId,
        this.bus.subscribe(channelOf(runId), (payload) => {
          const batch = payload as BusBatch;
          if (batch.instance !== this.instanceId) this.deliver(runId, batch.events);
        }),
      );
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
