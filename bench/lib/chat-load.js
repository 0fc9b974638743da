'use strict';
/** Streamed chats as load: the client, the closed loop of clients, and an agent to chat with. */
const http = require('node:http');
const { performance } = require('node:perf_hooks');
const { benchTenant } = require('./app');
const { onSseFrames } = require('./sse-frames');

// A connection per stream, as SSE clients have; reused sockets race the server's keep-alive timeout.
const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });

/**
 * One streamed request; resolves with the time to the first frame matching `isToken` and the
 * frame count. `body` is POSTed as JSON.
 */
function streamChat(url, headers, body, isToken) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let first = null;
    let frames = 0;
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
        onSseFrames(
          res,
          (frame) => {
            if (frame.startsWith(':')) return;
            frames++;
            if (first === null && isToken(frame)) first = performance.now() - started;
          },
          () => resolve({ ttft: first, frames }),
        );
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/**
 * `streams` clients, each calling `call` again as soon as its last call ended, started spread
 * over one stream's length (`streamMs`), for `durationS` seconds. Time to first token is kept for
 * the calls started after the first stream length (all clients running). `sample` runs every
 * second meanwhile.
 */
async function closedLoop(call, { streams, streamMs, durationS, sample = () => undefined }) {
  const started = performance.now();
  const measureFrom = started + streamMs;
  const endAt = started + durationS * 1000;
  const ttfts = [];
  let frames = 0;
  let chats = 0;
  const sampler = setInterval(sample, 1000);
  const client = async (index) => {
    await new Promise((resolve) => setTimeout(resolve, (index * streamMs) / streams));
    while (performance.now() < endAt) {
      const at = performance.now();
      const result = await call();
      frames += result.frames;
      chats++;
      if (at >= measureFrom) ttfts.push(result.ttft);
    }
  };
  await Promise.all(Array.from({ length: streams }, (_, index) => client(index)));
  clearInterval(sampler);
  return { ttfts, frames, chats, seconds: (performance.now() - started) / 1000 };
}

/**
 * An agent of a fresh bench tenant (rate and concurrent runs out of reach) on the upstream at
 * `upstreamUrl`; returns the chat call (streamed, resolving as streamChat does) and its parts.
 */
async function benchChatAgent(app, upstreamUrl, slug = 'bench-chat') {
  const tenant = await benchTenant(app, slug);
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
  const body = { agent_id: created.json.id, message: 'hello', stream: true };
  const isDelta = (frame) => frame.includes('event: content_delta');
  return { chat: () => streamChat(`${app.baseUrl}/api/v1/chat`, auth, body, isDelta), isDelta };
}

/** Percentiles of a sample: p50, p99 and the largest, to 0.01. */
function summary(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
  const round = (v) => Math.round(v * 100) / 100;
  return { p50: round(at(50)), p99: round(at(99)), max: round(sorted[sorted.length - 1]) };
}

function closeChatAgent() {
  agent.destroy();
}

module.exports = { benchChatAgent, closeChatAgent, closedLoop, streamChat, summary };
