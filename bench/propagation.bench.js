'use strict';
/**
 * Propagation: the time from an update's HTTP response to the receipt of its change event by a
 * plain Redis subscriber and by an SSE client of /internal/v1/changes/stream, over N updates
 * (BENCH_UPDATES, default 1000), made one after another.
 */
const http = require('node:http');
const { performance } = require('node:perf_hooks');
const Redis = require('ioredis');
const { benchTenant, saveResults, serverUrls, startAgentry } = require('./lib');

const UPDATES = Number(process.env.BENCH_UPDATES || 1000);
const PREFIX = `agentry_bench_propagation_${process.pid}:`;

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function summary(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] };
}

/** Opens the change stream and calls `onEvent(version, receivedAt)` per event. */
function openStream(baseUrl, apiKey, after, onEvent) {
  return new Promise((resolve, reject) => {
    const req = http.get(
      `${baseUrl}/internal/v1/changes/stream?after=${after}`,
      { headers: { 'x-api-key': apiKey, accept: 'text/event-stream' } },
      (res) => {
        if (res.statusCode !== 200) return reject(new Error(`stream answered ${res.statusCode}`));
        let buffer = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
          const at = performance.now();
          buffer += chunk;
          let boundary;
          while ((boundary = buffer.indexOf('\n\n')) >= 0) {
            const frame = buffer.slice(0, boundary);
            buffer = buffer.slice(boundary + 2);
            const data = frame.split('\n').find((line) => line.startsWith('data: '));
            if (data) onEvent(JSON.parse(data.slice(6)).version, at);
          }
        });
        resolve(req);
      },
    );
    req.on('error', reject);
  });
}

async function main() {
  const app = await startAgentry({ label: 'bench_propagation', env: { REDIS_PREFIX: PREFIX } });
  const subscriber = new Redis(serverUrls().redisUrl);
  let stream;
  try {
    const tenant = await benchTenant(app, 'bench-propagation');
    const admin = { authorization: `Bearer ${tenant.jwt}` };
    const agent = await app.request('POST', '/api/v1/agents', {
      headers: admin,
      body: {
        name: 'propagated',
        system_prompt: 'version 1',
        model: { provider: 'openai', model: 'gpt-4o-mini' },
      },
    });
    const key = await app.request('POST', '/api/v1/api-keys', {
      headers: admin,
      body: { name: 'consumer', role: 'service' },
    });
    const { version: after } = (
      await app.request('GET', '/internal/v1/config/version', { headers: { 'x-api-key': key.json.key } })
    ).json;

    const viaRedis = new Map();
    const viaSse = new Map();
    const waiters = new Map();
    const arrived = (map, version, at) => {
      if (!map.has(version)) map.set(version, at);
      if (viaRedis.has(version) && viaSse.has(version)) waiters.get(version)?.();
    };
    subscriber.on('message', (_channel, raw) =>
      arrived(viaRedis, JSON.parse(raw).version, performance.now()),
    );
    await subscriber.subscribe(`${PREFIX}changes:${tenant.id}`);
    stream = await openStream(app.baseUrl, key.json.key, after, (version, at) =>
      arrived(viaSse, version, at),
    );

    const redisDelays = [];
    const sseDelays = [];
    for (let i = 2; i <= UPDATES + 1; i++) {
      const both = new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`version ${i} did not arrive within 5 s`)), 5_000);
        waiters.set(i, () => {
          clearTimeout(timer);
          resolve();
        });
      });
      const res = await app.request('PATCH', `/api/v1/agents/${agent.json.id}`, {
        headers: admin,
        body: { system_prompt: `version ${i}` },
      });
      const respondedAt = performance.now();
      if (res.json.version !== i) throw new Error(`expected version ${i}, got ${res.json.version}`);
      if (!(viaRedis.has(i) && viaSse.has(i))) await both;
      waiters.delete(i);
      // Negative: the event was already in before the client had read the whole response.
      redisDelays.push(viaRedis.get(i) - respondedAt);
      sseDelays.push(viaSse.get(i) - respondedAt);
    }

    const redis = summary(redisDelays);
    const sse = summary(sseDelays);
    const ms = (n) => `${n.toFixed(2)} ms`;
    console.log(
      `\nPropagation over ${UPDATES} sequential updates (from the update's HTTP response to receipt)`,
    );
    console.log(`  Redis subscriber: p50 ${ms(redis.p50)}, p99 ${ms(redis.p99)}, max ${ms(redis.max)}`);
    console.log(`  SSE client:       p50 ${ms(sse.p50)}, p99 ${ms(sse.p99)}, max ${ms(sse.max)}`);
    console.log(`goal: p99 under 20 ms: ${Math.max(redis.p99, sse.p99) < 20 ? 'met' : 'not met'}`);
    saveResults('propagation', { updates: UPDATES, redis, sse });
  } finally {
    stream?.destroy();
    subscriber.disconnect();
    await app.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
