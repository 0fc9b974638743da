import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { APP_SETTINGS } from '../../shared/settings/settings.module';
import type { AppSettings } from '../../shared/settings/settings';
import { RunEvent, RunEventRow, RunEventsRepository } from './run-events.repository';

/** Past this many unwritten events (the database is away), the oldest are dropped, loudly. */
const MAX_PENDING = 200_000;

/**
 * Writes the events of every run executing on this instance: one INSERT per flush interval for
 * all of them, so a token costs no statement and many streams cost one statement, not one each.
 * Writes never overlap (rows of a run land in seq order); a failed write keeps its rows for the
 * next one and says so in the log.
 */
@Injectable()
export class RunEventWriter implements OnModuleDestroy {
  private readonly logger = new Logger('RunEventWriter');
  private pending: RunEventRow[] = [];
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> = Promise.resolve();
  private failures = 0;
  /** A write has taken its rows and not finished: until it does, a run's rows may be in it. */
  private inFlight = false;
  private readonly flushMs: number;

  constructor(
    private readonly events: RunEventsRepository,
    @Inject(APP_SETTINGS) settings: AppSettings,
  ) {
    this.flushMs = settings.runs.eventFlushMs;
  }

  /** Queues an event for the next write; `stored` is told its seq once it is written. */
  add(tenantId: string, runId: string, event: RunEvent, stored?: (seq: number) => void): void {
    this.pending.push({ tenantId, runId, event, stored });
    this.timer ??= setTimeout(() => void this.flush().catch(() => undefined), this.flushMs);
  }

  /** Writes everything added so far; rejects when that write failed (the rows stay for the next). */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.writing = this.writing.catch(() => undefined).then(() => this.write());
    return this.writing;
  }

  /**
   * Hands over a run's unwritten events (in seq order) once no write is in flight, for the caller
   * to write itself, inside its own transaction. Call it before opening that transaction: the
   * write it may wait for needs a connection of the same pool.
   */
  async take(runId: string): Promise<RunEvent[]> {
    while (this.inFlight) await this.writing.catch(() => undefined);
    const mine = this.pending.filter((row) => row.runId === runId);
    if (mine.length > 0) this.pending = this.pending.filter((row) => row.runId !== runId);
    return mine.map((row) => row.event);
  }

  /** Puts back events `take` handed over that could not be written after all, ahead of the rest. */
  restore(tenantId: string, runId: string, events: RunEvent[]): void {
    this.pending.unshift(...events.map((event) => ({ tenantId, runId, event })));
  }

  async onModuleDestroy(): Promise<void> {
    await this.flush().catch(() => undefined);
  }

  private async write(): Promise<void> {
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    this.inFlight = true;
    try {
      await this.events.insertRows(batch);
      for (const row of batch) row.stored?.(row.event.seq);
      if (this.failures > 0) this.logger.log({ failures: this.failures }, 'run events written again');
      this.failures = 0;
    } catch (error) {
      this.failures++;
      this.pending = [...batch, ...this.pending];
      if (this.pending.length > MAX_PENDING) {
        const dropped = this.pending.splice(0, this.pending.length - MAX_PENDING);
        this.logger.error({ dropped: dropped.length }, 'run events dropped: too many unwritten');
      }
      this.logger.warn(
        { err: (error as Error).message, events: batch.length, failures: this.failures },
        'writing run events failed; retrying with the next batch',
      );
      this.timer ??= setTimeout(() => void this.flush().catch(() => undefined), this.flushMs);
      throw error;
    } finally {
      this.inFlight = false;
    }
  }
}
