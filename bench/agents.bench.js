'use strict';
/* global fetch, performance, __filename -- Node globals the lint config does not list */
/**
 * Agents: update throughput (each update = a new version + its audit row + its outbox row, in one
 * transaction) on real PostgreSQL, and list latency with 10,000 agents in one tenant and 100,000
 * across 100 tenants (seeded with generate_series, not through the API).
 *
 * `node bench/agents.bench.js` after `npm run build` (or `npm run bench -- agents`).
 */
const { execFile } = require('node:child_process');
const { Client } = require('pg');
const {
  CONNECTIONS,
  DURATION_S,
  LOAD_CORE,
  benchTenant,
  measure,
  pinned,
  printTable,
  saveResults,
  serverUrls,
  startAgentry,
  throwawayDatabase,
  warmUp,
} = require('./lib');

const BIG_TENANT_AGENTS = 10_000;
const TOTAL_AGENTS = 100_000;
const OTHER_TENANTS = 99;

// ---------------------------------------------------------------------------------------------
// Update load: a loop of PATCHes, each with a new system prompt so each one writes a version.
// It runs in a child pinned to the load core (this same file with --update-worker).
// ---------------------------------------------------------------------------------------------

function percentile(sorted, p) {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function updateWorker({ baseUrl, token, agentIds, connections, seconds, warmupSeconds }) {
  const statuses = {};
  const latencies = [];
  let measuring = false;
  const warmupEnd = Date.now() + warmupSeconds * 1000;
  const end = warmupEnd + seconds * 1000;
  async function loop(worker) {
    const id = agentIds[worker % agentIds.length];
    for (let n = 0; Date.now() < end; n++) {
      const started = performance.now();
      const response = await fetch(`${baseUrl}/api/v1/agents/${id}`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ system_prompt: `You are agent ${id}, revision ${worker}-${n}.` }),
      });
      await response.arrayBuffer();
      measuring = Date.now() >= warmupEnd;
      if (!measuring) continue;
      latencies.push(performance.now() - started);
      statuses[response.status] = (statuses[response.status] ?? 0) + 1;
    }
  }
  await Promise.all(Array.from({ length: connections }, (_, worker) => loop(worker)));
  latencies.sort((a, b) => a - b);
  const ok = statuses[200] ?? 0;
  return {
    requests: latencies.length,
    ok,
    rps: ok / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    non2xx: latencies.length - ok,
    errors: 0,
    statuses,
  };
}

function runUpdateLoad(name, options) {
  const { command, args } = pinned(LOAD_CORE, process.execPath, [
    __filename,
    '--update-worker',
    JSON.stringify({ connections: CONNECTIONS, seconds: DURATION_S, warmupSeconds: 2, ...options }),
  ]);
  return new Promise((resolve, reject) => {
    execFile(command, args, { maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`update worker failed: ${stderr || error.message}`));
      resolve({ name, ...JSON.parse(stdout) });
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Seeding straight into PostgreSQL.
// ---------------------------------------------------------------------------------------------

async function withClient(url, work) {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Agents `prefix_00001…` at version 1, one version row each, for the given tenants. */
const SEED_AGENTS = `
  WITH owners AS (
    SELECT t.id AS tenant_id, g AS n
    FROM unnest($1::uuid[]) AS t(id), generate_series(1, $2::int) AS g
  ), inserted AS (
    INSERT INTO agents (tenant_id, name, tags, status, current_version)
    SELECT tenant_id, $3 || lpad(n::text, 5, '0'),
           CASE WHEN n % 10 = 0 THEN '["red", "support"]'::jsonb ELSE '["support"]'::jsonb END,
           CASE WHEN n % 7 = 0 THEN 'inactive' ELSE 'active' END, 1
    FROM owners
    RETURNING id, tenant_id, name
  )
  INSERT INTO agent_versions (agent_id, version, tenant_id, config, config_hash, created_by, note)
  SELECT id, 1, tenant_id,
         jsonb_build_object(
           'description', 'Seeded support agent ' || name,
           'system_prompt', 'You are ' || name || ', a helpful support agent. Answer briefly and cite sources.',
           'model', jsonb_build_object('provider', 'openai', 'model', 'gpt-4o-mini'),
           'tools', '["search", "ticket"]'::jsonb, 'memory', 'session_memory', 'knowledge', 'product_docs',
           'config', '{"temperature": 0.5, "max_steps": 8}'::jsonb, 'metadata', '{"seeded": true}'::jsonb),
         'sha256:' || encode(sha256(convert_to(name, 'UTF8')), 'hex'), 'system', 'seeded'
  FROM inserted`;

async function seed(url, bigTenantId) {
  return withClient(url, async (client) => {
    const started = Date.now();
    const { rows } = await client.query(
      `INSERT INTO tenants (slug, name, tier)
       SELECT 'seed-' || g, 'Seed tenant ' || g, 'enterprise' FROM generate_series(1, $1::int) g
       RETURNING id`,
      [OTHER_TENANTS],
    );
    const others = rows.map((row) => row.id);
    await client.query(SEED_AGENTS, [[bigTenantId], BIG_TENANT_AGENTS, 'agent_']);
    const perOther = Math.ceil((TOTAL_AGENTS - BIG_TENANT_AGENTS) / OTHER_TENANTS);
    await client.query(SEED_AGENTS, [others, perOther, 'agent_']);
    await client.query('ANALYZE agents');
    await client.query('ANALYZE agent_versions');
    const counts = await client.query(
      'SELECT count(*)::int AS agents, count(DISTINCT tenant_id)::int AS tenants FROM agents',
    );
    return { ...counts.rows[0], seconds: (Date.now() - started) / 1000, smallTenant: others[0], perOther };
  });
}

/** Every agent's versions run 1..current without gaps or duplicates, and each has an outbox row. */
async function checkVersions(url, agentIds) {
  return withClient(url, async (client) => {
    const { rows } = await client.query(
      `SELECT a.id, a.current_version, count(v.*)::int AS versions, max(v.version) AS max_version,
              (SELECT count(*)::int FROM change_events c WHERE c.resource_id = a.id::text) AS events
       FROM agents a JOIN agent_versions v ON v.agent_id = a.id
       WHERE a.id = ANY($1::uuid[]) GROUP BY a.id`,
      [agentIds],
    );
    const bad = rows.filter(
      (row) =>
        row.versions !== row.current_version ||
        row.max_version !== row.current_version ||
        row.events !== row.versions,
    );
    return { versions: rows.reduce((sum, row) => sum + row.versions - 1, 0), bad };
  });
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const { databaseUrl } = serverUrls();
  // Our own database (the app's DATABASE_URL is overridden) so that the bench can seed it directly.
  const database = await throwawayDatabase(databaseUrl, 'bench_agents');
  const app = await startAgentry({ label: 'bench_agents', env: { DATABASE_URL: database.url } }).catch(
    async (error) => {
      await database.drop();
      throw error;
    },
  );
  const updateRows = [];
  const listRows = [];
  let seeded;
  let integrity;
  try {
    const tenant = await benchTenant(app, 'bench-agents');
    const headers = { authorization: `Bearer ${tenant.jwt}` };
    // Agents reference tool components by name, and a save checks that they exist.
    for (const tool of ['search', 'ticket']) {
      await app.request('PUT', `/api/v1/config/${tool}`, {
        headers,
        body: {
          config: {
            type: 'tool',
            description: `The ${tool} tool`,
            parameters: { type: 'object', properties: { query: { type: 'string' } } },
            builtin: 'calculator',
          },
        },
      });
    }
    const create = async (name) =>
      (
        await app.request('POST', '/api/v1/agents', {
          headers,
          body: {
            name,
            description: 'Benchmark agent',
            system_prompt: 'You are a benchmark agent.',
            model: { provider: 'openai', model: 'gpt-4o-mini' },
            tools: ['search', 'ticket'],
            config: { temperature: 0.3, max_steps: 8 },
            tags: ['bench'],
          },
        })
      ).json.id;

    // Update throughput, before seeding (the seeded rows do not change an update's cost).
    const hot = await create('hot');
    const spread = [];
    for (let i = 0; i < CONNECTIONS; i++) spread.push(await create(`spread_${i}`));
    updateRows.push(
      await runUpdateLoad(`PATCH, ${CONNECTIONS} agents (one per connection)`, {
        baseUrl: app.baseUrl,
        token: tenant.jwt,
        agentIds: spread,
      }),
    );
    updateRows.push(
      await runUpdateLoad(`PATCH, one hot agent (${CONNECTIONS} writers queue on its row lock)`, {
        baseUrl: app.baseUrl,
        token: tenant.jwt,
        agentIds: [hot],
      }),
    );
    integrity = await checkVersions(database.url, [hot, ...spread]);

    // List latency.
    seeded = await seed(database.url, tenant.id);
    console.log(
      `seeded ${seeded.agents} agents in ${seeded.tenants} tenants in ${seeded.seconds.toFixed(1)} s ` +
        `(${BIG_TENANT_AGENTS} + ${1 + CONNECTIONS} in the measured tenant)`,
    );
    const small = {
      authorization: `Bearer ${app.token({ tenant_id: seeded.smallTenant, roles: ['viewer'] })}`,
    };
    const list = (qs, auth = headers) => ({ url: `${app.baseUrl}/api/v1/agents${qs}`, headers: auth });
    await warmUp({ ...list(''), seconds: 3 });
    listRows.push(await measure(`GET /agents (20 of ${BIG_TENANT_AGENTS})`, list('')));
    listRows.push(await measure('GET /agents?limit=100', list('?limit=100')));
    listRows.push(await measure('GET /agents?offset=9000', list('?offset=9000')));
    listRows.push(await measure('GET /agents?tag=red', list('?tag=red')));
    listRows.push(await measure('GET /agents?status=inactive', list('?status=inactive')));
    listRows.push(await measure('GET /agents?q=agent_0042 (name or description)', list('?q=agent_0042')));
    listRows.push(await measure(`GET /agents, a tenant with ${seeded.perOther}`, list('', small)));
  } finally {
    await app.stop();
    await database.drop();
  }

  printTable('Agent updates: version + audit + outbox in one transaction', updateRows, []);
  console.log(
    `integrity: ${integrity.versions} versions written, ${integrity.bad.length} agents with gaps or missing events`,
  );
  printTable(`Agent list latency (${seeded.agents} agents across ${seeded.tenants} tenants)`, listRows, []);
  saveResults('agents', { seeded, updates: updateRows, list: listRows, integrity });
  const failed = [...updateRows, ...listRows].filter((row) => row.errors > 0 || row.non2xx > 0);
  if (failed.length > 0 || integrity.bad.length > 0) {
    console.error(`\nfailures: ${failed.map((row) => row.name).join(', ')} ${JSON.stringify(integrity.bad)}`);
    process.exitCode = 1;
  }
}

if (process.argv[2] === '--update-worker') {
  updateWorker(JSON.parse(process.argv[3]))
    .then((result) => process.stdout.write(JSON.stringify(result)))
    .catch((error) => {
      console.error(error);
      process.exitCode = 1;
    });
} else {
  main().catch((error) => {
    console.error(error);
    process.exitCode = 1;
  });
}
