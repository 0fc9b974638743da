'use strict';
/**
 * Agent metrics at scale: BENCH_RUNS runs (default 1,000,000) over 50 agents, 40% of them on one
 * hot agent, spread over 90 days; then GET /api/v1/metrics/agents/<hot>?granularity=day over the
 * 90 days, beside the same totals computed straight from the runs table (no rollups) in this run.
 */
const { performance } = require('node:perf_hooks');
const { Client } = require('pg');
const { benchTenant, measure, printTable, saveResults, startAgentry } = require('./lib');

const RUNS = Number(process.env.BENCH_RUNS || 1_000_000);
const AGENTS = 50;
const DAYS = 90;

async function seed(client, tenantId, agentIds) {
  const started = performance.now();
  // Bulk load with triggers off, then one rebuild of the rollups: the per-row trigger is for live runs.
  await client.query("SET session_replication_role = 'replica'");
  const batch = 100_000;
  for (let offset = 0; offset < RUNS; offset += batch) {
    const count = Math.min(batch, RUNS - offset);
    await client.query(
      `INSERT INTO runs (tenant_id, agent_id, agent_version, session_id, status, input_query, metrics, created_at, finished_at)
       SELECT $1, CASE WHEN random() < 0.4 THEN $2::uuid ELSE ($3::uuid[])[1 + floor(random() * $4)::int] END,
              1 + floor(random() * 3)::int, 's' || i, s.status, 'query',
              jsonb_build_object('duration', round((random() * 8)::numeric, 3), 'total_tokens', floor(random() * 2000)::int),
              now() - random() * interval '${DAYS} days', now()
       FROM generate_series(1, $5) AS i,
            LATERAL (SELECT CASE WHEN random() < 0.9 THEN 'completed' WHEN random() < 0.5 THEN 'failed' ELSE 'cancelled' END AS status) AS s`,
      [tenantId, agentIds[0], agentIds, agentIds.length, count],
    );
  }
  await client.query("SET session_replication_role = 'origin'");
  await client.query('SELECT agentry_run_stats_rebuild()');
  await client.query('ANALYZE runs');
  await client.query('ANALYZE run_stats_hourly');
  return (performance.now() - started) / 1000;
}

/** The same totals the endpoint gives, from every run row of the period. */
async function rawAggregate(client, tenantId, agentId) {
  const started = performance.now();
  await client.query(
    `SELECT date_trunc('day', created_at, 'UTC') AS day, agent_version, count(*),
            count(*) FILTER (WHERE status = 'completed'), sum((metrics->>'duration')::float8),
            percentile_cont(0.95) WITHIN GROUP (ORDER BY (metrics->>'duration')::float8),
            sum((metrics->>'total_tokens')::bigint)
     FROM runs WHERE tenant_id = $1 AND agent_id = $2 AND created_at >= now() - interval '${DAYS} days'
       AND status IN ('completed', 'failed', 'cancelled')
     GROUP BY 1, 2`,
    [tenantId, agentId],
  );
  return performance.now() - started;
}

async function main() {
  const app = await startAgentry({ label: 'bench_metrics' });
  const client = new Client({ connectionString: app.databaseUrl });
  await client.connect();
  try {
    const tenant = await benchTenant(app, 'bench-metrics');
    const admin = { authorization: `Bearer ${tenant.jwt}` };
    const agentIds = [];
    for (let i = 0; i < AGENTS; i++) {
      const agent = await app.request('POST', '/api/v1/agents', {
        headers: admin,
        body: { name: `agent-${i}`, system_prompt: 'x' },
      });
      agentIds.push(agent.json.id);
    }
    const seconds = await seed(client, tenant.id, agentIds);
    const hot = agentIds[0];
    const { rows } = await client.query('SELECT count(*)::int AS n FROM runs WHERE agent_id = $1', [hot]);
    const rollups = await client.query('SELECT count(*)::int AS n FROM run_stats_hourly');
    console.log(
      `seeded ${RUNS.toLocaleString('en-US')} runs in ${seconds.toFixed(0)} s; hot agent ${rows[0].n.toLocaleString('en-US')} runs; ${rollups.rows[0].n.toLocaleString('en-US')} rollup rows`,
    );

    const end = new Date().toISOString();
    const start = new Date(Date.now() - DAYS * 86_400_000).toISOString();
    const path = `/api/v1/metrics/agents/${hot}?granularity=day&start_time=${start}&end_time=${end}`;
    const sample = await app.request('GET', path, { headers: admin });
    console.log(
      `answer: ${sample.json.metrics.total_runs.toLocaleString('en-US')} runs, ${sample.json.timeseries.length} buckets`,
    );

    const raw = [];
    for (let i = 0; i < 5; i++) raw.push(await rawAggregate(client, tenant.id, hot));
    raw.sort((a, b) => a - b);
    const rawMedian = raw[2];

    // One connection: the latency of one answer. Ten: throughput, where queueing adds to latency.
    const single = await measure('metrics/agents/:id, 1 connection', {
      url: app.baseUrl + path,
      headers: admin,
      connections: 1,
    });
    const ten = await measure('metrics/agents/:id, 10 connections', {
      url: app.baseUrl + path,
      headers: admin,
      connections: 10,
    });
    printTable(
      'Agent metrics with a million runs (90 days by day; ignore the connection count in the header)',
      [single, ten],
      [single],
    );
    console.log(
      `\nthe same totals from the runs table (no rollups): median ${rawMedian.toFixed(0)} ms over 5 queries`,
    );
    console.log(
      `latency p99 ${single.p99} ms on one connection; goal: p99 under 200 ms: ${single.p99 < 200 ? 'met' : 'not met'}`,
    );
    console.log(
      `raw aggregate median / endpoint p50: ${(rawMedian / Math.max(single.p50, 0.1)).toFixed(1)}x`,
    );
    saveResults('metrics', {
      runs: RUNS,
      hotAgentRuns: rows[0].n,
      rawMedianMs: rawMedian,
      rows: [single, ten],
    });
  } finally {
    await client.end();
    await app.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
