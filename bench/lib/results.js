'use strict';
/** Writes a bench's figures to bench/results/<name>.json (git-ignored) for the README. */
const { mkdirSync, writeFileSync } = require('node:fs');
const os = require('node:os');
const { join } = require('node:path');

function saveResults(name, data) {
  const dir = join(__dirname, '..', 'results');
  mkdirSync(dir, { recursive: true });
  const record = {
    date: new Date().toISOString(),
    machine: {
      cores: os.availableParallelism(),
      cpu: os.cpus()[0]?.model,
      node: process.version,
      loadAverageAtEnd: os.loadavg(),
    },
    ...data,
  };
  writeFileSync(join(dir, `${name}.json`), `${JSON.stringify(record, null, 2)}\n`);
}

module.exports = { saveResults };
