import { Global, Inject, Injectable, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { APP_SETTINGS } from '../settings/settings.module';
import type { AppSettings } from '../settings/settings';
import { buildDataSourceOptions } from './data-source-options';
import { EmbeddedPostgres, startEmbeddedPostgres } from './embedded-postgres';
import { runMigrationsLocked } from './migrate';

/** Holds the embedded server when `DATABASE_URL` is unset, and stops it after the pool closes. */
@Injectable()
export class EmbeddedDatabase implements OnApplicationShutdown {
  private readonly logger = new Logger('Database');
  server: EmbeddedPostgres | null = null;

  constructor(
    @Inject(APP_SETTINGS) private readonly settings: AppSettings,
    private readonly moduleRef: ModuleRef,
  ) {}

  async start(): Promise<void> {
    if (this.settings.databaseUrl) return;
    const started = Date.now();
    this.server = await startEmbeddedPostgres(this.settings.dataDir);
    this.logger.log(
      `embedded PostgreSQL ready in ${Date.now() - started} ms (data in ${this.settings.dataDir}/pglite)`,
    );
  }

  async onApplicationShutdown(): Promise<void> {
    if (!this.server) return;
    const dataSource = this.moduleRef.get(DataSource, { strict: false });
    if (dataSource.isInitialized) await dataSource.destroy();
    await this.server.stop();
    this.server = null;
  }
}

@Global()
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      extraProviders: [EmbeddedDatabase],
      inject: [APP_SETTINGS, EmbeddedDatabase],
      useFactory: async (settings: AppSettings, embedded: EmbeddedDatabase) => {
        await embedded.start();
        const target = settings.databaseUrl
          ? { url: settings.databaseUrl, poolSize: settings.databasePoolSize }
          : { host: embedded.server!.host, port: embedded.server!.port };
        return { ...buildDataSourceOptions(target), migrationsRun: false, retryAttempts: 0 };
      },
      // Migrations run under a lock, so that instances starting together do not race them.
      dataSourceFactory: async (options) => {
        const dataSource = await new DataSource(options!).initialize();
        try {
          await runMigrationsLocked(dataSource);
        } catch (error) {
          await dataSource.destroy();
          throw error;
        }
        return dataSource;
      },
    }),
  ],
})
export class DatabaseModule {}
