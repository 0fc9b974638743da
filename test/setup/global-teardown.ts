import { Client } from 'pg';
import { withDatabase } from './test-env';

/** Drops the template and any database a crashed test file left behind in this run. */
export default async function globalTeardown(): Promise<void> {
  const template = process.env.AGENTRY_TEST_TEMPLATE;
  const url = process.env.AGENTRY_TEST_DATABASE_URL;
  if (!template || !url) return;
  const admin = new Client({ connectionString: withDatabase(url, 'postgres') });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ datname: string }>(
      'SELECT datname FROM pg_database WHERE datname LIKE $1',
      [`${template}%`],
    );
    for (const { datname } of rows) await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}
