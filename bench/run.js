'use strict';
/**
 * `npm run bench [-- <name>...]`: runs every bench/*.bench.js (or those whose name contains one
 * of the arguments) in order, each in its own process, and fails if any of them failed.
 */
const { spawnSync } = require('node:child_process');
const { readdirSync } = require('node:fs');
const { join } = require('node:path');

const filters = process.argv.slice(2);
const files = readdirSync(__dirname)
  .filter((file) => file.endsWith('.bench.js'))
  .filter((file) => filters.length === 0 || filters.some((filter) => file.includes(filter)))
  .sort();
if (files.length === 0) {
  console.error(`no bench/*.bench.js matches ${filters.join(', ')}`);
  process.exit(1);
}

const failed = [];
for (const file of files) {
  const load = require('node:os')
    .loadavg()
    .map((n) => n.toFixed(2))
    .join(' ');
  // Other work on the machine skews every figure: say how busy it was.
  console.log(`\n=== ${file} (load average ${load}) ===`);
  const started = Date.now();
  const { status, signal } = spawnSync(process.execPath, [join(__dirname, file)], { stdio: 'inherit' });
  console.log(
    `=== ${file}: ${status === 0 ? 'done' : 'FAILED'} in ${((Date.now() - started) / 1000).toFixed(0)} s`,
  );
  if (status !== 0) failed.push(`${file} (${signal ?? `exit ${status}`})`);
}
if (failed.length > 0) {
  console.error(`\nfailed: ${failed.join(', ')}`);
  process.exit(1);
}
