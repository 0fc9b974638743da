import type { RunEventHub } from './run-event-hub';
import { MAX_UNSTORED_EVENTS, RunEvent } from './run-events.repository';
import type { RunEventWriter } from './run-event-writer';

/**
 * The event log of one executing run. Every event (each content delta included) gets its own seq
 * and is streamed at once; rows go to the instance's shared writer, which stores the events of all
 * runs in one INSERT per flush interval, so tokens cost no statement each, and a join replays
 * exactly the events the live stream sent. While the database is away, streaming live stops
 * MAX_UNSTORED_EVENTS past the stored events (the streams read the rest from the log once it is
 * written): an instance that dies streamed no seq past that bound, which the run's next writer
 * skips (RunEventsRepository.append).
 */
export class RunEventLog {
  /** The highest seq known stored. */
  private stored: number;
  private readonly markStored = (seq: number) => {
    if (seq > this.stored) this.stored = seq;
  };

  constructor(
    private readonly tenantId: string,
    private readonly runId: string,
    private nextSeq: number,
    private readonly writer: RunEventWriter,
    private readonly hub: RunEventHub,
  ) {
    this.stored = nextSeq - 1;
  }

  emit(type: string, data: Record<string, unknown>): RunEvent {
    const event = this.next(type, data);
    if (event.seq - this.stored <= MAX_UNSTORED_EVENTS) this.hub.publish(this.runId, [event]);
    this.writer.add(this.tenantId, this.runId, event, this.markStored);
    return event;
  }

  /** Writes what is buffered (with the events of other runs). */
  flush(): Promise<void> {
    return this.writer.flush();
  }

  /**
   * Hands the run's unwritten events plus a final event (after `before`, when given) to `settle`,
   * which stores them together with the run's new state, and only then streams those last events:
   * whoever sees `run_completed` or `run_paused` (or a final step's `checkpoint_created`) can rely
   * on the stored state.
   */
  async finish(
    type: string,
    data: Record<string, unknown>,
    settle: (events: RunEvent[]) => Promise<void>,
    before: Array<{ type: string; data: Record<string, unknown> }> = [],
  ): Promise<RunEvent> {
    const last = [...before.map((event) => this.next(event.type, event.data)), this.next(type, data)];
    const earlier = await this.writer.take(this.runId);
    try {
      await settle([...earlier, ...last]);
    } catch (error) {
      this.writer.restore(this.tenantId, this.runId, earlier);
      throw error;
    }
    this.hub.publish(this.runId, last);
    return last[last.length - 1];
  }

  private next(type: string, data: Record<string, unknown>): RunEvent {
    return { seq: this.nextSeq++, type, timestamp: new Date().toISOString(), data };
  }
}
