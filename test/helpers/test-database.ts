import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { withDatabase } from '../setup/test-env';

export interface TestDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

function serverUrl(): string {
  const url = process.env.AGENTRY_TEST_DATABASE_URL;
  if (!url || !process.env.AGENTRY_TEST_TEMPLATE)
    throw new Error('run through jest: the global setup prepares the template');
  return url;
}

async function admin<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: withDatabase(serverUrl(), 'postgres') });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** An empty database of this test file's own: no tables, not even the migrations table. */
export async function createEmptyDatabase(): Promise<TestDatabase> {
  const name = `${process.env.AGENTRY_TEST_TEMPLATE as string}_empty_${randomBytes(4).toString('hex')}`;
  await admin((client) => client.query(`CREATE DATABASE "${name}"`));
  return handle(name);
}

function handle(name: string): TestDatabase {
  return {
    name,
    url: withDatabase(serverUrl(), name),
    drop: () =>
      admin(async (client) => void (await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`))),
  };
}

/** A fresh, migrated database of this test file's own, cloned from the run's template. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const template = process.env.AGENTRY_TEST_TEMPLATE as string;
  const name = `${template}_${randomBytes(4).toString('hex')}`;
  await admin(async (client) => {
    // Two clones started at the same instant can collide on the template; try again shortly.
    for (let attempt = 0; ; attempt++) {
      try {
        await client.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`);
        return;
      } catch (error) {
        if (attempt >= 20 || !/being accessed by other users/.test((error as Error).message)) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100 + Math.random() * 200));
      }
    }
  });
  return handle(name);
}
