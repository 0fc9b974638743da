'use strict';
/* global fetch -- built into Node 20; the lint config lists only a few Node globals */
/**
 * Mixed load on one instance: 80% internal config reads (service key), 10% admin reads, 5% agent
 * updates (each a new version, audit row and outbox event), 5% streamed chats against a local
 * OpenAI-compatible upstream. Finds the highest rate with p99 under 100 ms and no error (probes of
 * LOAD_PROBE_SECONDS, from LOAD_START_RATE up by LOAD_RATE_FACTOR), then holds it for LOAD_SECONDS (60) LOAD_RUNS (3) times, with the server's
 * memory before and after each run.
 *
 * The load generator runs in a child pinned to the load core (this same file with --worker), so
 * that each request of the mix can build its own body (a distinct update every time).
 */
const http = require('node:http');
const { URL } = require('node:url');
const { execFile } = require('node:child_process');
const { performance } = require('node:perf_hooks');
const {
  benchTenant,
  LOAD_CORE,
  pinned,
  rssBytes,
  saveResults,
  sleep,
  startAgentry,
  startUpstream,
} = require('./lib');

const SECONDS = Number(process.env.LOAD_SECONDS || 60);
const RUNS = Number(process.env.LOAD_RUNS || 3);
const PROBE_SECONDS = Number(process.env.LOAD_PROBE_SECONDS || 8);
const START_RATE = Number(process.env.LOAD_START_RATE || 50);
/** Each probe asks for this much more than the last one that held. */
const RATE_FACTOR = Number(process.env.LOAD_RATE_FACTOR || 1.4);
const P99_LIMIT_MS = 100;
/**
 * Up to this many connections at once. Requests go out evenly spaced (open loop), not in
 * autocannon's way: its rate limiter lets each connection send its quota for a second back to
 * back when the second starts, so at R req/s the server sees a burst of R requests once a second
 * and the p99 measured is that of the burst.
 */
const CONNECTIONS = Number(process.env.LOAD_CONNECTIONS || 64);
const AGENTS = 20;
const UPSTREAM_TOKENS = 5;

/** The share of each kind of request, in twentieths: 16 internal reads, 2 admin reads, 1 update, 1 chat (LOAD_MIX to vary it). */
const MIX = (process.env.LOAD_MIX || 'internal:16,admin:2,update:1,chat:1')
  .split(',')
  .map((part) => part.split(':'))
  .map(([kind, weight]) => [kind, Number(weight)]);

/**
 * Builds the next request of the mix, the kind drawn at random (a fixed seed per worker), so every
 * connection sends the same proportions from its first request on.
 */
function mixer(options) {
  const { serviceKey, adminKey, operatorKey, agents, chatAgentId } = options;
  let seed = 0x9e3779b9;
  const random = () => {
    seed = (seed * 1664525 + 1013904223) >>> 0;
    return seed / 2 ** 32;
  };
  const total = MIX.reduce((sum, [, weight]) => sum + weight, 0);
  let n = 0;
  return () => {
    n++;
    let draw = random() * total;
    const kind = MIX.find(([, weight]) => (draw -= weight) < 0)[0];
    const agent = agents[Math.floor(random() * agents.length)];
    switch (kind) {
      case 'internal':
        return {
          kind,
          method: 'GET',
          path: `/internal/v1/agents/${agent.name}/config`,
          headers: { 'x-api-key': serviceKey },
        };
      case 'admin':
        return {
          kind,
          method: 'GET',
          path: n % 2 ? `/api/v1/agents/${agent.id}` : '/api/v1/agents?limit=20',
          headers: { 'x-api-key': adminKey },
        };
      case 'update':
        return {
          kind,
          method: 'PATCH',
          path: `/api/v1/agents/${agent.id}`,
          headers: { 'x-api-key': adminKey, 'content-type': 'application/json' },
          body: JSON.stringify({ description: `load update ${process.pid}-${n}` }),
        };
      default:
        return {
          kind,
          method: 'POST',
          path: '/api/v1/chat',
          headers: { 'x-api-key': operatorKey, 'content-type': 'application/json' },
          body: JSON.stringify({ agent_id: chatAgentId, message: 'hello', stream: true }),
        };
    }
  };
}

/**
 * Worker mode: requests of the mix at `rate` per second, evenly spaced, for `seconds`. Latency is
 * counted from when a request was due, so a server (or a connection pool) falling behind shows
 * as latency instead of quietly lowering the rate. Prints per-kind counts and percentiles.
 */
function worker(options) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const url = new URL(options.baseUrl);
  const next = mixer(options);
  const counts = {};
  const all = [];
  let errors = 0;
  const errorCodes = {};
  let done = 0;
  const total = Math.round(options.rate * options.seconds);
  const send = (due) => {
    const { kind, method, path, headers, body } = next();
    const entry = (counts[kind] ??= { total: 0, non2xx: 0, latencies: [] });
    const finish = (status) => {
      const latency = performance.now() - due;
      entry.total++;
      if (status < 200 || status >= 300) entry.non2xx++;
      entry.latencies.push(latency);
      all.push(latency);
      if (++done === total) report();
    };
    const req = http.request({ host: url.hostname, port: url.port, method, path, agent, headers }, (res) => {
      res.resume();
      res.on('end', () => finish(res.statusCode));
      res.on('error', () => finish(0));
    });
    req.on('error', (error) => {
      errors++;
      errorCodes[error.code ?? error.message] = (errorCodes[error.code ?? error.message] ?? 0) + 1;
      finish(0);
    });
    req.end(body);
  };
  const started = performance.now();
  let sent = 0;
  const tick = () => {
    const now = performance.now();
    while (sent < total && started + (sent * 1000) / options.rate <= now) {
      send(started + (sent * 1000) / options.rate);
      sent++;
    }
    if (sent < total) setTimeout(tick, 1);
  };
  const percentile = (values, p) => {
    values.sort((x, y) => x - y);
    return Math.round(values[Math.min(values.length - 1, Math.floor(p * values.length))] * 10) / 10;
  };
  function report() {
    const seconds = (performance.now() - started) / 1000;
    const byKind = {};
    let non2xx = 0;
    for (const [kind, entry] of Object.entries(counts)) {
      non2xx += entry.non2xx;
      byKind[kind] = {
        total: entry.total,
        non2xx: entry.non2xx,
        p50: percentile(entry.latencies, 0.5),
        p99: percentile(entry.latencies, 0.99),
      };
    }
    process.stdout.write(
      JSON.stringify({
        rps: done / seconds,
        p50: percentile(all, 0.5),
        p99: percentile(all, 0.99),
        requests: done,
        non2xx: non2xx - errors,
        errors,
        error_codes: errorCodes,
        counts: byKind,
      }),
    );
    agent.destroy();
  }
  tick();
}

function runLoad(options) {
  const { command, args } = pinned(LOAD_CORE, process.execPath, [
    process.argv[1],
    '--worker',
    JSON.stringify(options),
  ]);
  return new Promise((resolve, reject) => {
    execFile(command, args, { maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`load worker failed: ${stderr || error.message}`));
      const result = JSON.parse(stdout);
      resolve({ rate: options.rate, ...result });
    });
  });
}

const rssMb = (pid) => Math.round(rssBytes(pid) / 1024 / 1024);

/**
 * The server's own view from /metrics: event-loop delay since the last scrape (prom-client resets
 * its histogram on each collection) and time spent in garbage collection so far, by kind.
 */
async function serverStats(app) {
  const text = await (await fetch(`${app.baseUrl}/metrics`)).text();
  const value = (pattern) => Number(pattern.exec(text)?.[1] ?? NaN);
  const ms = (seconds) => Math.round(seconds * 10_000) / 10;
  return {
    event_loop_delay_p99_ms: ms(value(/^nodejs_eventloop_lag_p99_seconds (\S+)/m)),
    event_loop_delay_max_ms: ms(value(/^nodejs_eventloop_lag_max_seconds (\S+)/m)),
    gc_major_ms_total: ms(value(/^nodejs_gc_duration_seconds_sum\{kind="major"\} (\S+)/m)),
    gc_major_count_total: value(/^nodejs_gc_duration_seconds_count\{kind="major"\} (\S+)/m),
  };
}

/** The kinds of object whose live bytes grew most between two heap summaries. */
function heapGrowth(before, after, top = 8) {
  return [...after.entries()]
    .map(([key, kind]) => [key, kind, before.get(key) ?? { count: 0, bytes: 0 }])
    .map(([key, kind, was]) => ({ key, bytes: kind.bytes - was.bytes, count: kind.count - was.count }))
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, top)
    .map(
      ({ key, bytes, count }) =>
        `${key}: ${bytes >= 0 ? '+' : ''}${Math.round(bytes / 1024)} KB (${count >= 0 ? '+' : ''}${count})`,
    );
}

/** Held: p99 under the limit, nothing failed, and the rate asked for was delivered (within 10%). */
const holds = (row) =>
  row.p99 < P99_LIMIT_MS && row.errors === 0 && row.non2xx === 0 && row.rps >= 0.9 * row.rate;

async function prepare(app, upstreamUrl) {
  const tenant = await benchTenant(app, 'bench-load');
  const platform = { authorization: `Bearer ${app.token({ platform: true })}` };
  await app.request('PATCH', `/api/v1/tenants/${tenant.id}`, {
    headers: platform,
    body: { limits: { requests_per_minute: 10_000_000, max_concurrent_runs: 100_000 } },
  });
  const admin = { 'x-api-key': tenant.apiKey };
  const agents = [];
  for (let i = 0; i < AGENTS; i++) {
    const created = await app.request('POST', '/api/v1/agents', {
      headers: admin,
      body: {
        name: `load_${i}`,
        description: 'Customer support agent for the billing product',
        system_prompt: `You are a support agent. ${'Answer politely, cite the knowledge base, escalate refunds. '.repeat(20)}`,
        model: { provider: 'openai', model: 'm', base_url: upstreamUrl },
        config: { temperature: 0.3, top_p: 0.9, max_tokens: 800, max_steps: 2 },
        metadata: { team: 'support', owner: 'ops@example.com' },
        tags: ['production'],
      },
    });
    agents.push({ id: created.json.id, name: created.json.name });
  }
  const key = async (role) =>
    (await app.request('POST', '/api/v1/api-keys', { headers: admin, body: { name: role, role } })).json.key;
  return {
    baseUrl: app.baseUrl,
    serviceKey: await key('service'),
    operatorKey: await key('operator'),
    adminKey: tenant.apiKey,
    agents,
    chatAgentId: agents[0].id,
  };
}

async function main() {
  const upstream = await startUpstream({ tokens: UPSTREAM_TOKENS });
  const upstreamUrl = `http://127.0.0.1:${upstream.address().port}/v1`;
  const app = await startAgentry({ label: 'bench_load' });
  try {
    const base = await prepare(app, upstreamUrl);
    // Warm-up: JIT, pools, the config cache.
    await runLoad({ ...base, rate: START_RATE, seconds: 4 });

    const probes = [];
    // LOAD_RATE holds a given rate without probing (e.g. to watch memory where p99 does not hold).
    let best = process.env.LOAD_RATE ? Number(process.env.LOAD_RATE) : undefined;
    for (
      let rate = START_RATE;
      best === undefined || !process.env.LOAD_RATE;
      rate = Math.round(rate * RATE_FACTOR)
    ) {
      const probe = await runLoad({ ...base, rate, seconds: PROBE_SECONDS });
      probes.push(probe);
      console.log(
        `probe ${rate}/s: ${Math.round(probe.rps)} req/s, p99 ${probe.p99} ms, ${probe.non2xx + probe.errors} failed; p99 by kind ${Object.entries(
          probe.counts,
        )
          .map(([k, c]) => `${k} ${c.p99}`)
          .join(', ')}`,
      );
      if (!holds(probe)) break;
      best = rate;
      await sleep(2_000);
    }
    if (best === undefined) throw new Error(`not even ${START_RATE}/s held p99 < ${P99_LIMIT_MS} ms`);

    // A short probe can hold where a minute does not (GC, PostgreSQL checkpoints, sweeps): the
    // long runs decide. One that does not hold steps the rate down and starts the three again.
    let runs;
    let heaps;
    const abandoned = [];
    for (;;) {
      runs = [];
      heaps = [await app.heap()];
      for (let i = 0; i < RUNS; i++) {
        await sleep(5_000);
        const before = rssMb(app.child.pid);
        await serverStats(app); // starts the event-loop delay histogram afresh
        const row = await runLoad({ ...base, rate: best, seconds: SECONDS });
        const server = await serverStats(app);
        await sleep(2_000);
        const after = rssMb(app.child.pid);
        heaps.push(await app.heap());
        runs.push({
          ...row,
          rss_mb_before: before,
          rss_mb_after: after,
          heap_mb_before: heaps[i].mb,
          heap_mb_after: heaps[i + 1].mb,
          server,
        });
        if (!holds(runs[i]) && !process.env.LOAD_RATE) break;
      }
      if (runs.length === RUNS) break;
      const failed = runs[runs.length - 1];
      console.log(`${best}/s did not hold for ${SECONDS} s (p99 ${failed.p99} ms); stepping down`);
      abandoned.push({
        rate: best,
        p99: failed.p99,
        errors: failed.errors,
        error_codes: failed.error_codes,
        non2xx: failed.non2xx,
      });
      best = Math.round(best / RATE_FACTOR);
      if (best < START_RATE) throw new Error(`not even ${START_RATE}/s held for ${SECONDS} s`);
    }

    console.log(
      `\nMixed load at ${best} req/s (evenly spaced, up to ${CONNECTIONS} connections, ${SECONDS} s per run)`,
    );
    console.log(
      'run  req/s   p50 ms  p99 ms  failed  RSS before -> after, heap after GC before -> after (MB), event-loop delay  internal/admin/update/chat',
    );
    runs.forEach((r, i) => {
      const c = (k) =>
        `${r.counts[k]?.total ?? 0}${r.counts[k]?.non2xx ? ` (${r.counts[k].non2xx} non-2xx)` : ''}`;
      console.log(
        `${i + 1}    ${Math.round(r.rps).toString().padEnd(7)} ${String(r.p50).padEnd(7)} ${String(r.p99).padEnd(7)} ${String(r.non2xx + r.errors).padEnd(7)} ${r.rss_mb_before} -> ${r.rss_mb_after}, ${r.heap_mb_before} -> ${r.heap_mb_after}, loop max ${r.server.event_loop_delay_max_ms} ms`.padEnd(
          112,
        ) + `${c('internal')}/${c('admin')}/${c('update')}/${c('chat')}`,
      );
    });
    console.log(
      `heap after GC: ${heaps.map((h) => h.mb).join(' -> ')} MB; grew most between the first and the last run:`,
    );
    for (const line of heapGrowth(heaps[1].all, heaps[heaps.length - 1].all)) console.log(`  ${line}`);
    saveResults('load', {
      rate: best,
      p99_limit_ms: P99_LIMIT_MS,
      connections: CONNECTIONS,
      probes,
      abandoned,
      runs,
      heap_mb: heaps.map((h) => h.mb),
    });
    if (runs.some((r) => r.errors > 0 || r.non2xx > 0)) process.exitCode = 1;
  } finally {
    await app.stop();
    upstream.close();
  }
}

if (process.argv[2] === '--worker') {
  worker(JSON.parse(process.argv[3]));
} else {
  main().catch((error) => {
    console.error(error);
    process.exitCode = 1;
  });
}
