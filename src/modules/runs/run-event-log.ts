import type { EntityManager } from 'typeorm';
import type { RunEventHub } from './run-event-hub';
import type { RunEvent, RunEventsRepository } from './run-events.repository';

/**
 * The event log of one executing run. Every event (each content delta included) gets its own seq
 * and is streamed at once; rows are written in batches, one INSERT per flush interval, so tokens
 * cost no statement each, and a join replays exactly the events the live stream sent.
 */
export class RunEventLog {
  private buffer: RunEvent[] = [];
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly tenantId: string,
    private readonly runId: string,
    private nextSeq: number,
    private readonly events: RunEventsRepository,
    private readonly hub: RunEventHub,
    private readonly flushMs: number,
  ) {}

  emit(type: string, data: Record<string, unknown>): RunEvent {
    const event = this.next(type, data);
    this.hub.publish(this.runId, [event]);
    this.buffer.push(event);
    this.timer ??= setTimeout(() => void this.flush().catch(() => undefined), this.flushMs);
    return event;
  }

  /** Writes what is buffered; writes never overlap, so rows land in seq order. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const batch = this.buffer.splice(0);
    this.writing = this.writing
      .catch(() => undefined)
      .then(() => this.events.insertBatch(this.tenantId, this.runId, batch));
    return this.writing;
  }

  /**
   * Writes the buffer plus a final event inside `commit` (which changes the run's state in the
   * same transaction), and only then streams the final event: whoever sees `run_completed` or
   * `run_paused` can rely on the stored state.
   */
  async finish(
    type: string,
    data: Record<string, unknown>,
    transaction: <T>(work: (manager: EntityManager) => Promise<T>) => Promise<T>,
    commit: (manager: EntityManager) => Promise<void>,
  ): Promise<RunEvent> {
    await this.flush().catch(() => undefined);
    const event = this.next(type, data);
    const batch = [...this.buffer.splice(0), event];
    await transaction(async (manager) => {
      await this.events.insertBatch(this.tenantId, this.runId, batch, manager);
      await commit(manager);
    });
    this.hub.publish(this.runId, [event]);
    return event;
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private next(type: string, data: Record<string, unknown>): RunEvent {
    return { seq: this.nextSeq++, type, timestamp: new Date().toISOString(), data };
  }
}
