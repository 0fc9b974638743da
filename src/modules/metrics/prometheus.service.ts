import { timingSafeEqual } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { bearerCredential } from '../../shared/auth/credentials';
import { metricsRegistry, outboxOldestUnpublishedAge, runsByState } from '../../shared/metrics/metrics';
import { APP_SETTINGS } from '../../shared/settings/settings.module';
import type { AppSettings } from '../../shared/settings/settings';
import { metricsError } from './metrics.errors';

@Injectable()
export class PrometheusService {
  private readonly logger = new Logger('Metrics');

  constructor(
    private readonly dataSource: DataSource,
    @Inject(APP_SETTINGS) private readonly settings: AppSettings,
  ) {}

  get contentType(): string {
    return metricsRegistry.contentType;
  }

  /** The exposition text, after refreshing the gauges that are read from the database. */
  async scrape(authorization: string | undefined): Promise<string> {
    if (!this.settings.metricsEnabled)
      throw metricsError('METRICS_DISABLED', 'Metrics are turned off (METRICS_ENABLED=false)');
    this.checkToken(authorization);
    await this.refreshDatabaseGauges().catch((error: Error) => {
      this.logger.warn({ err: error.message }, 'database gauges not refreshed');
    });
    return metricsRegistry.metrics();
  }

  private checkToken(authorization: string | undefined): void {
    const token = this.settings.metricsToken;
    if (!token) return;
    const presented = Buffer.from(bearerCredential(authorization) ?? '');
    const expected = Buffer.from(token);
    if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) {
      throw metricsError(
        'METRICS_TOKEN_INVALID',
        'Send the scrape token as Authorization: Bearer <METRICS_TOKEN>',
      );
    }
  }

  private async refreshDatabaseGauges(): Promise<void> {
    const [row] = (await this.dataSource.query(
      `SELECT COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0)::float8 AS age
       FROM change_events WHERE published_at IS NULL`,
    )) as [{ age: number }];
    outboxOldestUnpublishedAge.set(row.age);
    // Served by the (status, heartbeat_at) index: only the few unfinished runs are counted.
    const states = (await this.dataSource.query(
      `SELECT status, count(*)::int AS n FROM runs WHERE status IN ('queued', 'running', 'paused') GROUP BY status`,
    )) as Array<{ status: string; n: number }>;
    for (const status of ['queued', 'running', 'paused']) {
      runsByState.set({ status }, states.find((state) => state.status === status)?.n ?? 0);
    }
  }
}
