'use strict';
/**
 * `node bench/compare-chat.js <other checkout>`: this checkout's build (A) and another's (B, built
 * with `npm run build`, its own node_modules installed) serving at once on the server core, each
 * with its own database and the same streamed-chat load (BENCH_STREAMS clients each, default 50,
 * 50 tokens BENCH_TOKEN_MS apart, default 50), in BENCH_ROUNDS rounds (default 3) of
 * BENCH_DURATION_S seconds (default 15). Prints each round's server CPU per chat of A and B and
 * the ratio B/A. The machine's speed drifts (twofold within a day here), so figures of two
 * separate runs do not compare; two builds sharing one core in the same seconds do. Run it with
 * the same build on both sides once to see its noise. BENCH_B_NODE_ARGS gives B Node options of
 * its own: with this checkout on both sides, it measures what a Node option does.
 */
const { join, resolve } = require('node:path');
const {
  benchChatAgent,
  closeChatAgent,
  closedLoop,
  cpuMs,
  startAgentry,
  startUpstream,
  summary,
} = require('./lib');

const STREAMS = Number(process.env.BENCH_STREAMS || 50);
const TOKENS = 50;
const TOKEN_MS = Number(process.env.BENCH_TOKEN_MS || 50);
const DURATION_S = Number(process.env.BENCH_DURATION_S || 15);
const ROUNDS = Number(process.env.BENCH_ROUNDS || 3);
const LOOP = { streams: STREAMS, streamMs: TOKENS * TOKEN_MS, durationS: DURATION_S };

async function main() {
  const other = process.argv[2];
  if (!other) {
    console.error('usage: node bench/compare-chat.js <path of another checkout, built>');
    process.exit(2);
  }
  const upstream = await startUpstream({ tokens: TOKENS, tokenMs: TOKEN_MS });
  const upstreamUrl = `http://127.0.0.1:${upstream.address().port}/v1`;
  const env = { RUN_EVENT_FLUSH_MS: '50' };
  const apps = [];
  try {
    apps.push(await startAgentry({ label: 'compare_a', env }));
    apps.push(
      await startAgentry({
        label: 'compare_b',
        env,
        main: join(resolve(other), 'dist', 'src', 'main.js'),
        nodeArgs: (process.env.BENCH_B_NODE_ARGS ?? '').split(' ').filter(Boolean),
      }),
    );
    const chats = await Promise.all(apps.map((app, i) => benchChatAgent(app, upstreamUrl, `compare-${i}`)));
    // Warm up both (JIT, connection pools, caches).
    for (let i = 0; i < 3; i++)
      await Promise.all(chats.flatMap(({ chat }) => Array.from({ length: 40 }, chat)));

    const rounds = [];
    for (let round = 0; round < ROUNDS; round++) {
      const before = apps.map((app) => cpuMs(app.child.pid));
      const runs = await Promise.all(chats.map(({ chat }) => closedLoop(chat, LOOP)));
      const [a, b] = runs.map((run, i) => ({
        cpu_ms_per_chat: Math.round(((cpuMs(apps[i].child.pid) - before[i]) / run.chats) * 100) / 100,
        chats: run.chats,
        ttft_ms: summary(run.ttfts),
      }));
      const ratio = Math.round((b.cpu_ms_per_chat / a.cpu_ms_per_chat) * 1000) / 1000;
      rounds.push({ a, b, ratio });
      console.log(
        `round ${round + 1}: A ${a.cpu_ms_per_chat} ms of CPU per chat (${a.chats} chats, TTFT p50 ` +
          `${a.ttft_ms.p50} ms), B ${b.cpu_ms_per_chat} ms (${b.chats}, ${b.ttft_ms.p50} ms): B/A ${ratio}`,
      );
    }
    const ratios = rounds.map((round) => round.ratio).sort((x, y) => x - y);
    console.log(
      JSON.stringify(
        {
          streams_each: STREAMS,
          token_ms: TOKEN_MS,
          median_ratio: ratios[Math.floor(ratios.length / 2)],
          rounds,
        },
        null,
        2,
      ),
    );
  } finally {
    await Promise.all(apps.map((app) => app.stop()));
    upstream.close();
    closeChatAgent();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
