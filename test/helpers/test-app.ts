import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import { AppModule } from '../../src/app.module';
import { configureApp } from '../../src/configure-app';
import { AppLogger } from '../../src/shared/logging/logging.module';
import { AppSettings, loadSettings } from '../../src/shared/settings/settings';
import { LogCapture } from './log-capture';
import { createTestDatabase, TestDatabase } from './test-database';
import { TEST_JWT_SECRET } from './tokens';

export interface TestApp {
  app: NestExpressApplication;
  /** Base URL of the listening server, e.g. http://127.0.0.1:41234 */
  url: string;
  http: ReturnType<typeof request>;
  settings: AppSettings;
  logs: LogCapture;
  database: TestDatabase;
  /** The owner key of the `default` tenant, printed by the first start. */
  bootstrapKey: string;
  close(): Promise<void>;
}

export interface TestAppOptions {
  /** Extra environment for loadSettings. */
  env?: Record<string, string>;
  /** Reuse a database (e.g. to restart on the same data); created and dropped by the app otherwise. */
  database?: TestDatabase;
  /** Without Redis: the in-process bus and rate-limit store, as in the embedded default. */
  withoutRedis?: boolean;
  /** Listen on this port instead of a free one (to restart a server where clients expect it). */
  port?: number;
}

/** Starts the real app (real PostgreSQL, real Redis) on a free port, with its own database. */
export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const database = options.database ?? (await createTestDatabase());
  const env: Record<string, string> = {
    NODE_ENV: 'test',
    DATABASE_URL: database.url,
    DATABASE_POOL_SIZE: '5',
    REDIS_PREFIX: `agentry-test-${randomBytes(4).toString('hex')}:`,
    JWT_SECRET: TEST_JWT_SECRET,
    LOG_LEVEL: 'info',
    LOG_PRETTY: 'false',
    ...(options.withoutRedis ? {} : { REDIS_URL: process.env.AGENTRY_TEST_REDIS_URL as string }),
    ...options.env,
  };
  const settings = loadSettings(env, '0.0.0-test');
  const logs = new LogCapture();
  const app = await NestFactory.create<NestExpressApplication>(
    AppModule.forRoot(settings, { logStream: logs }),
    {
      bodyParser: false,
      bufferLogs: true,
    },
  );
  app.useLogger(app.get(AppLogger));
  configureApp(app, settings);
  await app.listen(options.port ?? 0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  const bootstrapKey = /AGENTRY_API_KEY=(agt_[\w-]+)/.exec(logs.text)?.[1] ?? '';
  return {
    app,
    url,
    http: request(url),
    settings,
    logs,
    database,
    bootstrapKey,
    close: async () => {
      await app.close();
      if (!options.database) await database.drop();
    },
  };
}
