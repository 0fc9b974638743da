'use strict';
/**
 * Streamed chat: N concurrent streamed chats (BENCH_STREAMS, default 200) against a local
 * OpenAI-compatible upstream emitting 50 tokens each (BENCH_TOKENS, BENCH_TOKEN_MS apart).
 * Concurrent as a load generator's connections are: N clients, each starting its next chat as
 * soon as its last one ended, started spread over one stream's length, so N streams are open at
 * any moment and chats arrive steadily (N per stream length), for BENCH_DURATION_S seconds.
 * The same clients then chat through the floor (bench/lib/minimal-chat-server.js: bare node:http
 * and pg doing only the storing a run needs, on the same core), and call the upstream directly, in
 * the same run. Reports time to first token all three ways (Agentry's minus the direct one is what
 * it adds: auth, admission, run row, SDK call, SSE; the floor's says how much of that this machine
 * adds whatever the server does), sustained SSE events per second, the server's memory per open
 * stream, and CPU time per chat of the server and of the floor.
 */
const {
  benchChatAgent,
  closeChatAgent,
  closedLoop,
  cpuMs,
  rssBytes,
  saveResults,
  startAgentry,
  startMinimalChatServer,
  startUpstream,
  streamChat,
  summary,
} = require('./lib');

const STREAMS = Number(process.env.BENCH_STREAMS || 200);
const TOKENS = Number(process.env.BENCH_TOKENS || 50);
// 20 ms apart is 50 tokens/s, a fast hosted model's pace; a stream then lasts about a second.
const TOKEN_MS = Number(process.env.BENCH_TOKEN_MS || 20);
const DURATION_S = Number(process.env.BENCH_DURATION_S || 20);
const WATCHDOG_MS = Number(process.env.BENCH_WATCHDOG_MS || 300_000);
const LOOP = { streams: STREAMS, streamMs: TOKENS * TOKEN_MS, durationS: DURATION_S };

async function main() {
  const upstream = await startUpstream({ tokens: TOKENS, tokenMs: TOKEN_MS });
  const upstreamUrl = `http://127.0.0.1:${upstream.address().port}/v1`;
  const app = await startAgentry({ label: 'bench_chat', env: { RUN_EVENT_FLUSH_MS: '50' } });
  // Whatever fails, do not leave the server running.
  process.once('uncaughtException', (error) => {
    console.error(error);
    app.stop().finally(() => process.exit(1));
  });
  try {
    const { chat: viaAgentry, isDelta } = await benchChatAgent(app, upstreamUrl);
    // A stream that never ends is a finding, not a hang: report it with the server's last output.
    const watchdog = setTimeout(() => {
      console.error(`no progress for ${WATCHDOG_MS} ms; server output:\n${app.output()}`);
      app.stop().finally(() => process.exit(2));
    }, WATCHDOG_MS);
    const isUpstreamToken = (frame) => frame.includes('"content":"tok');
    const direct = () =>
      streamChat(
        `${upstreamUrl}/chat/completions`,
        {},
        { model: 'm', stream: true, messages: [] },
        isUpstreamToken,
      );

    // Warm up both paths (JIT, connection pools, caches).
    for (let i = 0; i < 3; i++)
      await Promise.all(Array.from({ length: 50 }, () => Promise.all([direct(), viaAgentry()])));

    const idle = rssBytes(app.child.pid);
    let memoryPerStream = 0;
    const cpuBefore = cpuMs(app.child.pid);
    const agentry = await closedLoop(viaAgentry, {
      ...LOOP,
      sample: () => {
        memoryPerStream = Math.max(memoryPerStream, (rssBytes(app.child.pid) - idle) / STREAMS);
      },
    });
    const serverCpuMs = cpuMs(app.child.pid) - cpuBefore;
    // Agentry idles from here on; the floor takes the same core.
    const floor = await startMinimalChatServer(upstreamUrl);
    let floorRun;
    let floorCpuMs;
    try {
      const viaFloor = () =>
        streamChat(`${floor.baseUrl}/chat`, {}, { message: 'hello', stream: true }, isDelta);
      for (let i = 0; i < 3; i++) await Promise.all(Array.from({ length: 50 }, viaFloor));
      const floorCpuBefore = cpuMs(floor.child.pid);
      floorRun = await closedLoop(viaFloor, LOOP);
      floorCpuMs = cpuMs(floor.child.pid) - floorCpuBefore;
    } finally {
      await floor.stop();
    }
    const directRun = await closedLoop(direct, LOOP);
    const directTtft = directRun.ttfts;
    const agentryTtft = agentry.ttfts;
    const events = agentry.frames;
    const agentrySeconds = agentry.seconds;
    const directSummary = summary(directTtft);
    const agentrySummary = summary(agentryTtft);
    const floorSummary = summary(floorRun.ttfts);
    const added = (through) => ({
      p50: Math.round((through.p50 - directSummary.p50) * 100) / 100,
      p99: Math.round((through.p99 - directSummary.p99) * 100) / 100,
    });
    const result = {
      streams: STREAMS,
      tokens: TOKENS,
      token_ms: TOKEN_MS,
      duration_s: DURATION_S,
      chats: { agentry: agentryTtft.length, floor: floorRun.ttfts.length, direct: directTtft.length },
      ttft_ms: { direct: directSummary, agentry: agentrySummary, floor: floorSummary },
      added_ttft_ms: added(agentrySummary),
      floor_added_ttft_ms: added(floorSummary),
      events_per_second: Math.round(events / agentrySeconds),
      // The server's CPU time over the run per chat (all of it: tokens, database, HTTP), and how
      // busy that kept its core.
      server_cpu_ms_per_chat: Math.round((serverCpuMs / agentry.chats) * 100) / 100,
      server_cpu_busy_percent: Math.round(serverCpuMs / agentrySeconds / 10),
      floor_cpu_ms_per_chat: Math.round((floorCpuMs / floorRun.chats) * 100) / 100,
      memory_per_open_stream_kb: Math.round(memoryPerStream / 1024),
    };
    clearTimeout(watchdog);
    console.log(JSON.stringify(result, null, 2));
    saveResults('chat', result);
  } finally {
    await app.stop();
    upstream.close();
    closeChatAgent();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
