import { Injectable } from '@nestjs/common';
import type { SseStream } from '../../shared/http/sse';
import { RunEventHub } from './run-event-hub';
import { RunEvent, RunEventsRepository } from './run-events.repository';

const REPLAY_PAGE = 500;
/** How long a stream waits for an event it knows exists (seen live) to be written, per retry. */
const GAP_RETRY_MS = 25;
/**
 * With no event for this long, a stream re-reads the log (a bus message may have been lost); while
 * that finds nothing, the wait doubles up to MAX_IDLE_POLL_MS, so a stream idle for long (a paused
 * run watched) costs a read every 16 s rather than every second.
 */
const IDLE_POLL_MS = 1_000;
const MAX_IDLE_POLL_MS = 16_000;
export const FINAL_EVENTS: ReadonlySet<string> = new Set(['run_completed', 'run_failed', 'run_cancelled']);

/**
 * Joins a run's event stream at any point: listen first, replay the stored log after the
 * position, then deliver live events strictly in seq order. A live event ahead of the next
 * expected seq waits while the gap is read from the log, so a stream has no gap and no duplicate
 * whichever instance executes the run. Ends after the run's final event. The one jump is an event
 * that names the seq it follows (written after an instance died with events it had streamed and
 * not stored): it comes next for any stream at or past that seq.
 */
@Injectable()
export class RunStreamsService {
  constructor(
    private readonly events: RunEventsRepository,
    private readonly hub: RunEventHub,
  ) {}

  /**
   * `fresh`: the run was created here and has not started, so nothing is stored yet and the
   * stream goes live at once, without reading the log first. `ended`: the run had ended when the
   * stream was asked for.
   *
   * A final event read from the log ends the stream only when the log ends with it and the run
   * has ended: a run restored in place has gone on after an earlier final event, and its events
   * after it are still to come. A final event seen live always ends it, and so does one at or
   * before the position (the client asked from past the run's end).
   */
  async follow(
    tenantId: string,
    runId: string,
    after: number,
    sse: SseStream,
    { fresh = false, ended = false }: { fresh?: boolean; ended?: boolean } = {},
  ): Promise<void> {
    let last = after;
    const pending = new Map<number, RunEvent>();
    const live = new Set<number>();
    let logEnds = false;
    let replaying = true;
    let reading = false;
    let lastActivity = Date.now();
    let lastIdleRead = lastActivity;
    let idleWait = IDLE_POLL_MS;
    // Set below; a stream leaves the hub with its final event, not when its socket closes later.
    let detach: () => void = () => undefined;
    const end = () => {
      sse.close();
      detach();
    };

    /** The seq of the last final event delivered from the log; it can end the stream while it is `last`. */
    let finalFromLog: number | null = null;
    let checkedFinal: number | null = null;
    /**
     * A final event read from the log, the last event there is: the run's end whose live message
     * was lost, or the end of the path a run restored in place has left. The run's state tells.
     */
    const endAtFinalFromLog = () => {
      const seq = finalFromLog;
      if (seq === null || seq !== last || !logEnds || pending.size > 0 || sse.isClosed) return;
      if (ended) return end();
      if (checkedFinal === seq) return;
      checkedFinal = seq;
      void this.events
        .runEnded(tenantId, runId)
        .then((over) => {
          if (over && last === seq && !sse.isClosed) end();
        })
        .catch(() => undefined);
    };

    /** The event after `last`: the next seq, or one that goes on from a seq at or before `last`. */
    const next = (): RunEvent | undefined => {
      const following = pending.get(last + 1);
      if (following) return following;
      for (const event of pending.values())
        if (event.follows !== undefined && event.follows <= last && event.seq > last) return event;
      return undefined;
    };
    const deliver = () => {
      let event: RunEvent | undefined;
      while ((event = next())) {
        pending.delete(event.seq);
        sse.send(event.seq, event.type, event.data);
        last = event.seq;
        lastActivity = Date.now();
        idleWait = IDLE_POLL_MS;
        if (FINAL_EVENTS.has(event.type)) {
          if (live.has(event.seq)) return end();
          finalFromLog = event.seq;
        }
      }
      for (const seq of pending.keys()) if (seq <= last) pending.delete(seq);
      for (const seq of live) if (seq <= last) live.delete(seq);
      endAtFinalFromLog();
    };
    const readLog = async () => {
      if (reading || sse.isClosed) return;
      reading = true;
      try {
        for (let attempt = 0; ; attempt++) {
          const rows = await this.events.after(tenantId, runId, last, REPLAY_PAGE);
          // Not the log's end until the whole page is delivered: a final event inside it ends nothing.
          logEnds = false;
          for (const row of rows) {
            if (row.seq <= last) continue;
            pending.set(row.seq, row);
            deliver();
            if (sse.isClosed) return;
            // The next event once the client has taken these: a slow client is replayed at its own pace.
            if (sse.backedUp) await sse.writable();
          }
          logEnds = rows.length < REPLAY_PAGE;
          deliver();
          if (sse.isClosed) return;
          if (rows.length === REPLAY_PAGE) continue;
          // Seen live but not written yet: the executor writes within its flush interval.
          if (pending.size === 0 || attempt > 400) return;
          await new Promise((resolve) => setTimeout(resolve, GAP_RETRY_MS));
        }
      } finally {
        reading = false;
      }
    };

    detach = this.hub.attach(runId, (events) => {
      for (const event of events) {
        if (event.seq > last) {
          pending.set(event.seq, event);
          live.add(event.seq);
        } else if (FINAL_EVENTS.has(event.type) && !sse.isClosed) {
          // The run ended at or before the position the stream was asked from.
          end();
          return;
        }
      }
      if (replaying) return;
      deliver();
      if (pending.size > 0) void readLog().catch(() => sse.close());
    });
    const poll = setInterval(() => {
      const now = Date.now();
      if (now - lastActivity < IDLE_POLL_MS || now - lastIdleRead < idleWait) return;
      lastIdleRead = now;
      idleWait = Math.min(idleWait * 2, MAX_IDLE_POLL_MS);
      void readLog().catch(() => undefined);
    }, IDLE_POLL_MS);
    sse.onClose(() => {
      detach();
      clearInterval(poll);
    });
    try {
      if (!fresh) await readLog();
      replaying = false;
      deliver();
      if (pending.size > 0) await readLog();
    } catch {
      sse.close();
    }
  }
}
