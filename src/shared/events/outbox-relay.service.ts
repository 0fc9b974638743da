import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { DataSource } from 'typeorm';
import { changeEventsPublished } from '../metrics/metrics';
import { APP_SETTINGS } from '../settings/settings.module';
import type { AppSettings } from '../settings/settings';
import {
  allChangesChannel,
  changesPrunedChannel,
  CHANGE_COLUMNS,
  ChangeEventRow,
  tenantChangesChannel,
  toChangeMessage,
} from './change-message';
import { MessageBus } from './message-bus';

/** Only one instance publishes at a time, which keeps the published order equal to the id order. */
const RELAY_LOCK = 7_202_613;
const BATCH = 200;
const PRUNE_EVERY_MS = 10 * 60_000;
const PRUNE_BATCH = 10_000;
export const PRUNED_THROUGH = 'change_events.pruned_through';

/**
 * Publishes committed outbox rows, in id order, to the bus (`changes:<tenant>` and `changes`), then
 * marks them published: at least once, since a crash between publishing and marking republishes.
 * It runs right after any transaction that wrote outbox rows commits (see OutboxCommitSubscriber),
 * and on a slow poll for rows left by instances that died. While Redis is down it keeps the rows
 * and retries with backoff, so they go out in order when it returns.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('OutboxRelay');
  private running = false;
  private again = false;
  private stopped = false;
  private failures = 0;
  private retryTimer?: NodeJS.Timeout;
  private pollTimer?: NodeJS.Timeout;
  private pruneTimer?: NodeJS.Timeout;
  private idle?: Promise<void>;

  constructor(
    private readonly dataSource: DataSource,
    private readonly bus: MessageBus,
    @Inject(APP_SETTINGS) private readonly settings: AppSettings,
  ) {}

  onApplicationBootstrap(): void {
    this.pollTimer = setInterval(() => this.kick(), this.settings.outboxPollMs).unref();
    this.pruneTimer = setInterval(() => void this.prune().catch(() => undefined), PRUNE_EVERY_MS).unref();
    this.kick();
  }

  /** Before any connection closes: no pass starts after this, and the running one is awaited. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.pollTimer);
    clearInterval(this.pruneTimer);
    clearTimeout(this.retryTimer);
    await this.idle;
  }

  /** Asks for a publishing pass now; passes never overlap, a kick during one runs another after it. */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    this.idle = this.drain().finally(() => {
      this.running = false;
    });
  }

  private async drain(): Promise<void> {
    try {
      do {
        this.again = false;
        const published = await this.publishBatch();
        if (published === 'locked') {
          // Another instance is publishing; try again shortly so that rows committed here after
          // it took its batch do not wait for the poll.
          this.schedule(25);
          return;
        }
        if (published === BATCH) this.again = true;
      } while (this.again && !this.stopped);
      if (this.failures > 0) this.logger.log(`publishing resumed after ${this.failures} failed attempt(s)`);
      this.failures = 0;
    } catch (error) {
      this.failures++;
      if (this.failures === 1 || this.failures % 50 === 0) {
        this.logger.warn(
          { err: (error as Error).message, attempts: this.failures },
          'change events not published yet; retrying',
        );
      }
      this.schedule(Math.min(50 * 2 ** Math.min(this.failures, 6), 2_000));
    }
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.kick(), ms).unref();
  }

  private publishBatch(): Promise<number | 'locked'> {
    return this.dataSource.transaction(async (manager) => {
      const [{ locked }] = (await manager.query('SELECT pg_try_advisory_xact_lock($1) AS locked', [
        RELAY_LOCK,
      ])) as [{ locked: boolean }];
      if (!locked) return 'locked';
      const rows = (await manager.query(
        `SELECT ${CHANGE_COLUMNS} FROM change_events WHERE published_at IS NULL ORDER BY id LIMIT $1`,
        [BATCH],
      )) as ChangeEventRow[];
      if (rows.length === 0) return 0;
      const messages = rows.flatMap((row) => {
        const message = toChangeMessage(row);
        return [
          { channel: tenantChangesChannel(row.tenant_id), payload: message },
          { channel: allChangesChannel, payload: message },
        ];
      });
      await this.bus.publishMany(messages);
      changeEventsPublished.inc(rows.length);
      await manager.query('UPDATE change_events SET published_at = now() WHERE id = ANY($1::bigint[])', [
        rows.map((row) => row.id),
      ]);
      return rows.length;
    });
  }

  /**
   * Deletes published events past the retention period and remembers the highest id deleted;
   * then tells every instance, whose snapshots answered with a lower version are stale.
   */
  async prune(): Promise<number> {
    let through: string | null = null;
    const deleted = await this.dataSource.transaction(async (manager) => {
      // TypeORM answers a DELETE … RETURNING as [rows, affected count].
      const [deleted] = (await manager.query(
        `DELETE FROM change_events WHERE id IN (
           SELECT id FROM change_events
           WHERE published_at IS NOT NULL AND created_at < now() - make_interval(hours => $1)
           ORDER BY id LIMIT $2)
         RETURNING id`,
        [this.settings.changeRetentionHours, PRUNE_BATCH],
      )) as [Array<{ id: string }>, number];
      if (deleted.length === 0) return 0;
      const highest = deleted.reduce((max, row) => (BigInt(row.id) > max ? BigInt(row.id) : max), 0n);
      await manager.query(
        `INSERT INTO outbox_state (name, value) VALUES ($1, $2)
         ON CONFLICT (name) DO UPDATE SET value = GREATEST(outbox_state.value, EXCLUDED.value), updated_at = now()`,
        [PRUNED_THROUGH, highest.toString()],
      );
      this.logger.log(`pruned ${deleted.length} published change events (through id ${highest})`);
      through = highest.toString();
      return deleted.length;
    });
    if (through !== null) {
      await this.bus
        .publish(changesPrunedChannel, { pruned_through: Number(through) })
        .catch((error: Error) => this.logger.warn({ err: error.message }, 'pruned mark not published'));
    }
    return deleted;
  }
}
