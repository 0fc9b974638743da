'use strict';
/**
 * Streamed chat: N concurrent streamed chats (BENCH_STREAMS, default 200) against a local
 * OpenAI-compatible upstream emitting 50 tokens each (BENCH_TOKENS, BENCH_TOKEN_MS apart).
 * Reports time to first token through Agentry and straight from the upstream in the same run
 * (the difference is what Agentry adds: auth, admission, run row, SDK call, SSE), sustained SSE
 * events per second, and the server's memory per open stream.
 */
const http = require('node:http');
const { readFileSync } = require('node:fs');
const { performance } = require('node:perf_hooks');
const { benchTenant, saveResults, startAgentry } = require('./lib');

const STREAMS = Number(process.env.BENCH_STREAMS || 200);
const TOKENS = Number(process.env.BENCH_TOKENS || 50);
const TOKEN_MS = Number(process.env.BENCH_TOKEN_MS || 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS || 3);
const WATCHDOG_MS = Number(process.env.BENCH_WATCHDOG_MS || 120_000);

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function summary(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const round = (v) => Math.round(v * 100) / 100;
  return {
    p50: round(percentile(sorted, 50)),
    p99: round(percentile(sorted, 99)),
    max: round(sorted[sorted.length - 1]),
  };
}

/** A minimal OpenAI-compatible streaming upstream: TOKENS chunks, TOKEN_MS apart. */
function startUpstream() {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const chunk = (delta, finish = null) =>
        res.write(
          `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 0, model: 'm', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`,
        );
      let sent = 0;
      const next = () => {
        if (res.destroyed) return;
        if (sent === TOKENS) {
          chunk({}, 'stop');
          res.end('data: [DONE]\n\n');
          return;
        }
        chunk({ content: `tok${sent++} ` });
        setTimeout(next, TOKEN_MS);
      };
      chunk({ role: 'assistant', content: '' });
      next();
    });
  });
  server.keepAliveTimeout = 60_000;
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

// A connection per stream, as SSE clients have; reused sockets race the server's keep-alive timeout.
const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });

/**
 * One streamed request; resolves with the time to the first frame matching `isToken` and the
 * frame count. `body` is POSTed as JSON.
 */
function stream(url, headers, body, isToken) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let first = null;
    let frames = 0;
    let buffer = '';
    const payload = JSON.stringify(body);
    const req = http.request(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          accept: 'text/event-stream',
          'content-length': Buffer.byteLength(payload),
          ...headers,
        },
      },
      (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          return reject(new Error(`${url} answered ${res.statusCode}`));
        }
        res.setEncoding('utf8');
        res.on('data', (text) => {
          buffer += text;
          let boundary;
          while ((boundary = buffer.indexOf('\n\n')) >= 0) {
            const frame = buffer.slice(0, boundary);
            buffer = buffer.slice(boundary + 2);
            if (frame.startsWith(':')) continue;
            frames++;
            if (first === null && isToken(frame)) first = performance.now() - started;
          }
        });
        res.on('end', () => resolve({ ttft: first, frames }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

function rssBytes(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)[1]) * 1024;
}

async function main() {
  const upstream = await startUpstream();
  const upstreamUrl = `http://127.0.0.1:${upstream.address().port}/v1`;
  const app = await startAgentry({ label: 'bench_chat', env: { RUN_EVENT_FLUSH_MS: '50' } });
  // Whatever fails, do not leave the server running.
  process.once('uncaughtException', (error) => {
    console.error(error);
    app.stop().finally(() => process.exit(1));
  });
  try {
    const tenant = await benchTenant(app, 'bench-chat');
    const platform = { authorization: `Bearer ${app.token({ platform: true })}` };
    await app.request('PATCH', `/api/v1/tenants/${tenant.id}`, {
      headers: platform,
      body: { limits: { requests_per_minute: 10_000_000, max_concurrent_runs: 100_000 } },
    });
    const auth = { authorization: `Bearer ${tenant.jwt}` };
    const created = await app.request('POST', '/api/v1/agents', {
      headers: auth,
      body: {
        name: 'bench-chat',
        system_prompt: 'Be quick.',
        model: { provider: 'openai', model: 'm', base_url: upstreamUrl },
      },
    });
    // A stream that never ends is a finding, not a hang: report it with the server's last output.
    const watchdog = setTimeout(() => {
      console.error(`no progress for ${WATCHDOG_MS} ms; server output:\n${app.output()}`);
      app.stop().finally(() => process.exit(2));
    }, WATCHDOG_MS);
    const chatBody = { agent_id: created.json.id, message: 'hello', stream: true };
    const isDelta = (frame) => frame.includes('event: content_delta');
    const isUpstreamToken = (frame) => frame.includes('"content":"tok');
    const direct = () =>
      stream(
        `${upstreamUrl}/chat/completions`,
        {},
        { model: 'm', stream: true, messages: [] },
        isUpstreamToken,
      );
    const viaAgentry = () => stream(`${app.baseUrl}/api/v1/chat`, auth, chatBody, isDelta);

    // Warm up both paths (JIT, connection pools, caches).
    for (let i = 0; i < 3; i++)
      await Promise.all(Array.from({ length: 50 }, () => Promise.all([direct(), viaAgentry()])));

    const directTtft = [];
    const agentryTtft = [];
    let events = 0;
    let agentrySeconds = 0;
    let memoryPerStream = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const d = await Promise.all(Array.from({ length: STREAMS }, direct));
      directTtft.push(...d.map((r) => r.ttft));
      const before = rssBytes(app.child.pid);
      const started = performance.now();
      const pending = Promise.all(Array.from({ length: STREAMS }, viaAgentry));
      // Halfway through the streams all of them are open.
      await new Promise((resolve) => setTimeout(resolve, (TOKENS * TOKEN_MS) / 2));
      memoryPerStream = Math.max(memoryPerStream, (rssBytes(app.child.pid) - before) / STREAMS);
      const results = await pending;
      agentrySeconds += (performance.now() - started) / 1000;
      events += results.reduce((sum, r) => sum + r.frames, 0);
      agentryTtft.push(...results.map((r) => r.ttft));
    }
    const directSummary = summary(directTtft);
    const agentrySummary = summary(agentryTtft);
    const result = {
      streams: STREAMS,
      tokens: TOKENS,
      token_ms: TOKEN_MS,
      rounds: ROUNDS,
      ttft_ms: { direct: directSummary, agentry: agentrySummary },
      added_ttft_ms: {
        p50: Math.round((agentrySummary.p50 - directSummary.p50) * 100) / 100,
        p99: Math.round((agentrySummary.p99 - directSummary.p99) * 100) / 100,
      },
      events_per_second: Math.round(events / agentrySeconds),
      memory_per_open_stream_kb: Math.round(memoryPerStream / 1024),
    };
    clearTimeout(watchdog);
    console.log(JSON.stringify(result, null, 2));
    saveResults('chat', result);
  } finally {
    await app.stop();
    upstream.close();
    agent.destroy();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
