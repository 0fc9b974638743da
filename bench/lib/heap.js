'use strict';
/** Live heap of a server child process, from a heap snapshot it writes on SIGUSR2. */
const { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { sleep, waitForOk } = require('./process');

/**
 * A directory for a server's heap snapshots and the Node options that make it write one there on
 * SIGUSR2 (`heapOf`). Remove the directory when the server stops.
 */
function heapSnapshotDir(label) {
  const dir = mkdtempSync(join(tmpdir(), `agentry-${label}-heap-`));
  return { dir, nodeArgs: ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${dir}`] };
}

/**
 * The live heap after a full collection, from a heap snapshot (V8 collects garbage before writing
 * one): total bytes and MB, and the largest kinds of object by retained self size. The server pauses while the
 * snapshot is written (seconds); `healthUrl` answering again means the file is whole.
 */
async function heapOf(child, dir, healthUrl, output, top = 12) {
  const before = new Set(readdirSync(dir));
  child.kill('SIGUSR2');
  let file;
  for (const deadline = Date.now() + 120_000; !file;) {
    if (Date.now() > deadline) throw new Error('no heap snapshot within 120 s');
    await sleep(200);
    file = readdirSync(dir).find((name) => !before.has(name));
  }
  // Written synchronously on the main thread: once the server answers again, the file is whole.
  await waitForOk(healthUrl, child, output, 120_000);
  const path = join(dir, file);
  let size = -1;
  while (size !== statSync(path).size) {
    size = statSync(path).size;
    await sleep(200);
  }
  const summary = summariseSnapshot(JSON.parse(readFileSync(path, 'utf8')), top);
  rmSync(path);
  return summary;
}

/** Sums a parsed .heapsnapshot: total self size, and by node type and constructor name. */
function summariseSnapshot(snapshot, top) {
  const { node_fields: fields, node_types: types } = snapshot.snapshot.meta;
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const typeNames = types[typeAt];
  const { nodes, strings } = snapshot;
  const kinds = new Map();
  let total = 0;
  for (let i = 0; i < nodes.length; i += width) {
    const size = nodes[i + sizeAt];
    total += size;
    const type = typeNames[nodes[i + typeAt]];
    const key = type === 'object' || type === 'closure' ? `${type} ${strings[nodes[i + nameAt]]}` : type;
    const kind = kinds.get(key) ?? { count: 0, bytes: 0 };
    kind.count++;
    kind.bytes += size;
    kinds.set(key, kind);
  }
  const mb = (bytes) => Math.round((bytes / 1024 / 1024) * 10) / 10;
  return {
    bytes: total,
    mb: mb(total),
    kinds: Object.fromEntries(
      [...kinds.entries()]
        .sort((a, b) => b[1].bytes - a[1].bytes)
        .slice(0, top)
        .map(([key, kind]) => [key, { count: kind.count, mb: mb(kind.bytes) }]),
    ),
    all: kinds,
  };
}

module.exports = { heapOf, heapSnapshotDir };
