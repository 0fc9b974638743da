'use strict';
/**
 * Memory per open stream, as live heap: BENCH_STREAMS (default 200) streamed chats held open at
 * once against a local OpenAI-compatible upstream that takes 10 s to answer (40 tokens 250 ms
 * apart), the server's heap measured from a heap snapshot (after V8's full collection) before they
 * start and while all of them are mid-answer; the difference per stream. The same for the floor
 * (bench/lib/minimal-chat-server.js) in the same run, and the ratio. Resident memory, which the
 * chat bench reports, also counts what the collector has not reclaimed yet; this does not.
 */
const {
  benchChatAgent,
  closeChatAgent,
  saveResults,
  sleep,
  startAgentry,
  startMinimalChatServer,
  startUpstream,
  streamChat,
} = require('./lib');

const STREAMS = Number(process.env.BENCH_STREAMS || 200);
const TOKENS = 40;
const TOKEN_MS = 250;
// Into the answers (a few tokens each), well before the first of them ends.
const MID_ANSWER_MS = 3_000;

/** Heap KB per open stream of a server: its live heap with `STREAMS` chats open, less idle. */
async function perStream(server, chat) {
  // Warm up (JIT, pools, caches), then let every warm-up stream end.
  for (let i = 0; i < 2; i++) await Promise.all(Array.from({ length: 20 }, chat));
  const idle = await server.heap();
  const open = Array.from({ length: STREAMS }, chat);
  await sleep(MID_ANSWER_MS);
  const busy = await server.heap();
  const results = await Promise.all(open);
  const ended = results.filter((result) => result.frames > TOKENS).length;
  if (ended !== STREAMS) throw new Error(`only ${ended} of ${STREAMS} streams answered in full`);
  return {
    idle_heap_mb: idle.mb,
    open_heap_mb: busy.mb,
    kb_per_stream: Math.round(((busy.bytes - idle.bytes) / STREAMS / 1024) * 10) / 10,
  };
}

async function main() {
  const upstream = await startUpstream({ tokens: TOKENS, tokenMs: TOKEN_MS });
  const upstreamUrl = `http://127.0.0.1:${upstream.address().port}/v1`;
  try {
    const app = await startAgentry({ label: 'bench_stream_memory', env: { RUN_EVENT_FLUSH_MS: '50' } });
    let agentry;
    // Both servers' deltas are Agentry's `content_delta` frames.
    let isDelta;
    try {
      const bench = await benchChatAgent(app, upstreamUrl);
      isDelta = bench.isDelta;
      agentry = await perStream(app, bench.chat);
    } finally {
      await app.stop();
    }
    const floor = await startMinimalChatServer(upstreamUrl);
    let floorResult;
    try {
      const chat = () => streamChat(`${floor.baseUrl}/chat`, {}, { message: 'hello', stream: true }, isDelta);
      floorResult = await perStream(floor, chat);
    } finally {
      await floor.stop();
    }
    const result = {
      streams: STREAMS,
      agentry,
      floor: floorResult,
      ratio: Math.round((agentry.kb_per_stream / floorResult.kb_per_stream) * 100) / 100,
    };
    console.log(JSON.stringify(result, null, 2));
    saveResults('stream-memory', result);
  } finally {
    upstream.close();
    closeChatAgent();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
