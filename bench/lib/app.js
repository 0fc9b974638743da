'use strict';
/* global fetch -- built into Node 20; the lint config lists only a few Node globals */
/**
 * The built app (dist/src/main.js) as a child process in production mode, on a throwaway database
 * on the local PostgreSQL and the local Redis under its own key prefix, pinned to the server core.
 */
const { existsSync, rmSync } = require('node:fs');
const { randomBytes } = require('node:crypto');
const { join } = require('node:path');
const { sign } = require('jsonwebtoken');
const { ROOT, SERVER_CORE, serverUrls } = require('./env');
const { throwawayDatabase } = require('./database');
const { heapOf, heapSnapshotDir } = require('./heap');
const { freePort, spawnNode, stop, waitForOk } = require('./process');

const MAIN = join(ROOT, 'dist', 'src', 'main.js');

/**
 * Starts Agentry: this checkout's build, or the built entry point `main` (another checkout's
 * dist/src/main.js, to compare two builds). `env` adds or overrides settings (e.g.
 * WEB_CONCURRENCY); `core` pins it (null: no pinning). Request logs are off by default
 * (LOG_LEVEL=warn; BENCH_LOG_LEVEL=info to include them).
 * BENCH_CPU_PROF_DIR profiles the server (open the .cpuprofile in Chrome DevTools); BENCH_NODE_ARGS
 * adds Node options (e.g. `--max-semi-space-size=64`) to every server, `nodeArgs` to this one.
 * `app.heap()` measures the live heap after a full collection (a heap snapshot on SIGUSR2).
 */
async function startAgentry({
  env = {},
  core = SERVER_CORE,
  label = 'bench',
  main = MAIN,
  nodeArgs: extra = [],
} = {}) {
  if (!existsSync(main)) throw new Error(`${main} is missing: run npm run build (npm run bench does)`);
  const { databaseUrl, redisUrl } = serverUrls();
  const database = await throwawayDatabase(databaseUrl, label);
  const port = await freePort();
  const jwtSecret = randomBytes(48).toString('base64url');
  const childEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    DATABASE_URL: database.url,
    REDIS_URL: redisUrl,
    REDIS_PREFIX: `agentry_${label}_${randomBytes(3).toString('hex')}:`,
    JWT_SECRET: jwtSecret,
    CONFIG_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL || 'warn',
    LOG_PRETTY: 'false',
    ...env,
  };
  const profile = process.env.BENCH_CPU_PROF_DIR;
  const { dir: snapshots, nodeArgs: heapArgs } = heapSnapshotDir(label);
  const nodeArgs = [
    ...heapArgs,
    ...(profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : []),
    ...(process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean),
    ...extra,
  ];
  const { child, output } = spawnNode(core, main, [], childEnv, nodeArgs);
  const baseUrl = `http://127.0.0.1:${port}`;
  const app = {
    baseUrl,
    /** The throwaway database, for benches that seed data directly. */
    databaseUrl: database.url,
    child,
    output,
    /** A JWT this instance accepts. */
    token(claims, expiresIn = '1h') {
      return sign({ sub: 'bench-user', roles: [], ...claims }, jwtSecret, { algorithm: 'HS256', expiresIn });
    },
    /** JSON request; throws on an unexpected status. */
    async request(method, path, { headers = {}, body, expect = [200, 201, 204] } = {}) {
      const response = await fetch(baseUrl + path, {
        method,
        headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.text();
      if (!expect.includes(response.status)) {
        throw new Error(`${method} ${path}: ${response.status} ${text.slice(0, 500)}`);
      }
      return {
        status: response.status,
        headers: response.headers,
        text,
        json: text ? JSON.parse(text) : null,
      };
    },
    /** The live heap after a full collection (see heapOf); call it between measured runs only. */
    heap(top = 12) {
      return heapOf(child, snapshots, `${baseUrl}/api/v1/health/live`, output, top);
    },
    async stop() {
      try {
        await stop(child);
      } finally {
        rmSync(snapshots, { recursive: true, force: true });
        await database.drop();
      }
    },
  };
  try {
    await waitForOk(`${baseUrl}/api/v1/health/live`, child, output);
  } catch (error) {
    await app.stop().catch(() => undefined);
    throw error;
  }
  return app;
}

/**
 * A tenant for load: enterprise tier with a request rate no bench reaches, and an admin API key.
 * Returns its id, slug, the key and an admin JWT.
 */
async function benchTenant(app, slug = 'bench') {
  const platform = { authorization: `Bearer ${app.token({ platform: true })}` };
  const tenant = await app.request('POST', '/api/v1/tenants', {
    headers: platform,
    body: { slug, name: 'Benchmark tenant', tier: 'enterprise' },
  });
  const id = tenant.json.id;
  await app.request('PATCH', `/api/v1/tenants/${id}`, {
    headers: platform,
    body: { limits: { requests_per_minute: 10_000_000 } },
  });
  const jwt = app.token({ tenant_id: id, roles: ['admin'] });
  const key = await app.request('POST', '/api/v1/api-keys', {
    headers: { authorization: `Bearer ${jwt}` },
    body: { name: 'bench', role: 'admin' },
  });
  return { id, slug, apiKey: key.json.key, jwt };
}

module.exports = { startAgentry, benchTenant };
