'use strict';
/** Throwaway databases on the local PostgreSQL, dropped when the bench ends (or fails). */
const { randomBytes } = require('node:crypto');
const { URL } = require('node:url');
const { Client } = require('pg');

function withDatabase(url, database) {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

async function admin(url, sql) {
  const client = new Client({
    connectionString: withDatabase(url, 'postgres'),
    connectionTimeoutMillis: 3_000,
  });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(
      `PostgreSQL is not reachable at ${url} (${error.message}). Start it ` +
        '(pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start) or set DATABASE_URL.',
      { cause: error },
    );
  }
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Creates an empty database; `drop()` removes it. The app migrates it on start. */
async function throwawayDatabase(baseUrl, label = 'bench') {
  const name = `agentry_${label}_${process.pid}_${randomBytes(3).toString('hex')}`;
  await admin(baseUrl, `CREATE DATABASE "${name}"`);
  let dropped = false;
  return {
    name,
    url: withDatabase(baseUrl, name),
    async drop() {
      if (dropped) return;
      dropped = true;
      await admin(baseUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    },
  };
}

module.exports = { throwawayDatabase, withDatabase };
