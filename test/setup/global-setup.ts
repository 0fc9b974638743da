import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '../../src/shared/database/data-source-options';
import { runMigrationsLocked } from '../../src/shared/database/migrate';
import { testServerUrls, withDatabase } from './test-env';

const CONNECT_TIMEOUT_MS = 3_000;

async function checkPostgres(url: string): Promise<void> {
  const client = new Client({
    connectionString: withDatabase(url, 'postgres'),
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
  });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (error) {
    throw new Error(
      `PostgreSQL is not reachable at ${url} (${(error as Error).message}). ` +
        'Start it (on Debian: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start; ' +
        'or: docker compose up -d postgres), or point DATABASE_URL at a running server.',
      { cause: error },
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function checkRedis(url: string): Promise<void> {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: CONNECT_TIMEOUT_MS,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    throw new Error(
      `Redis is not reachable at ${url} (${(error as Error).message}). ` +
        'Start it (redis-server --daemonize yes --port 6379; or: docker compose up -d redis), or point REDIS_URL at a running server.',
      { cause: error },
    );
  } finally {
    redis.disconnect();
  }
}

/**
 * Runs once before the integration and e2e projects: checks both servers (stopping the run with
 * one clear message when one is down) and migrates a template database that each test file
 * clones (CREATE DATABASE … TEMPLATE), so files run in parallel on their own data.
 */
export default async function globalSetup(): Promise<void> {
  if (process.env.AGENTRY_TEST_TEMPLATE) return; // the other project already did it in this run
  const { databaseUrl, redisUrl } = testServerUrls();
  await checkPostgres(databaseUrl);
  await checkRedis(redisUrl);

  const template = `agentry_test_${process.pid}_${randomBytes(3).toString('hex')}`;
  const admin = new Client({ connectionString: withDatabase(databaseUrl, 'postgres') });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${template}"`);
  } finally {
    await admin.end();
  }
  const dataSource = new DataSource({
    ...buildDataSourceOptions({ url: withDatabase(databaseUrl, template), poolSize: 1 }),
    logging: false,
  });
  await dataSource.initialize();
  try {
    await runMigrationsLocked(dataSource); // as the app migrates
  } finally {
    await dataSource.destroy();
  }
  process.env.AGENTRY_TEST_TEMPLATE = template;
  process.env.AGENTRY_TEST_DATABASE_URL = databaseUrl;
  process.env.AGENTRY_TEST_REDIS_URL = redisUrl;
}
