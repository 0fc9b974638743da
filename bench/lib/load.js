'use strict';
/** Load generation (autocannon in a child pinned to the load core) and the report. */
const { execFile } = require('node:child_process');
const { join } = require('node:path');
const { LOAD_CORE, pinned } = require('./env');

const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS || 50);
const DURATION_S = Number(process.env.BENCH_DURATION || 10);
const WARMUP_S = Number(process.env.BENCH_WARMUP || 2);

function autocannonIn(options) {
  const { command, args } = pinned(LOAD_CORE, process.execPath, [
    join(__dirname, 'load-worker.js'),
    JSON.stringify(options),
  ]);
  return new Promise((resolve, reject) => {
    execFile(command, args, { maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`autocannon failed: ${stderr || error.message}`));
      resolve(JSON.parse(stdout));
    });
  });
}

/**
 * Warms the target up (`warmup` seconds, default BENCH_WARMUP), then measures it: `{name, rps, p50, p99, non2xx, errors, requests}`.
 * `expectStatus` (default 2xx) is checked by autocannon; anything else counts in non2xx.
 */
async function measure(
  name,
  { url, method = 'GET', headers = {}, body, warmup = WARMUP_S, connections = CONNECTIONS },
) {
  const base = { url, method, headers, body, connections };
  if (warmup > 0) await autocannonIn({ ...base, duration: warmup });
  const result = await autocannonIn({ ...base, duration: DURATION_S });
  return {
    name,
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}

const fmt = (n, digits = 0) =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** Prints a table of results, with each row's ratio to every baseline row. */
function printTable(title, rows, baselines) {
  console.log(`\n${title}`);
  console.log(`(${CONNECTIONS} connections, ${DURATION_S} s each after ${WARMUP_S} s warm-up)`);
  const header = ['target', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx', ...baselines.map((b) => `vs ${b.name}`)];
  const lines = rows.map((row) => [
    row.name,
    fmt(row.rps),
    fmt(row.p50, 1),
    fmt(row.p99, 1),
    fmt(row.non2xx + row.errors),
    ...baselines.map((b) => `${fmt((100 * row.rps) / b.rps)}%`),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const pad = (cells) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(pad(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const line of lines) console.log(pad(line));
}

/** Unmeasured load, e.g. to let a freshly started app's JIT and pools settle. */
async function warmUp({ url, method = 'GET', headers = {}, body, seconds }) {
  await autocannonIn({ url, method, headers, body, connections: CONNECTIONS, duration: seconds });
}

module.exports = { measure, printTable, warmUp, CONNECTIONS, DURATION_S };
