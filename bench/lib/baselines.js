'use strict';
/** Baseline servers in child processes, pinned to the server core like the app. */
const { rmSync } = require('node:fs');
const { join } = require('node:path');
const { SERVER_CORE, serverUrls } = require('./env');
const { throwawayDatabase } = require('./database');
const { heapOf, heapSnapshotDir } = require('./heap');
const { freePort, spawnNode, stop, waitForOk } = require('./process');

const KINDS = {
  'node-http': 'bare node:http',
  'express-raw': 'Express 5, raw buffer',
  'express-json': 'Express 5, res.json',
};

/** Starts a baseline answering `body` (Buffer) to any GET. */
async function startBaseline(kind, body, core = SERVER_CORE) {
  const port = await freePort();
  const { child, output } = spawnNode(
    core,
    join(__dirname, 'baseline-server.js'),
    [kind, String(port), body.toString('base64')],
    { PATH: process.env.PATH, NODE_ENV: 'production' },
  );
  const baseUrl = `http://127.0.0.1:${port}`;
  await waitForOk(`${baseUrl}/`, child, output, 15_000);
  return { kind, label: KINDS[kind], baseUrl, stop: () => stop(child) };
}

/**
 * Starts the chat floor (minimal-chat-server.js) against the OpenAI-compatible `upstreamUrl`, on a
 * throwaway database of the local PostgreSQL; `stop()` drops it. `heap()` as the app's.
 */
async function startMinimalChatServer(upstreamUrl, core = SERVER_CORE) {
  const database = await throwawayDatabase(serverUrls().databaseUrl, 'bench_floor');
  const port = await freePort();
  const snapshots = heapSnapshotDir('floor');
  const { child, output } = spawnNode(
    core,
    join(__dirname, 'minimal-chat-server.js'),
    [String(port), upstreamUrl, database.url],
    { PATH: process.env.PATH, NODE_ENV: 'production' },
    snapshots.nodeArgs,
  );
  const baseUrl = `http://127.0.0.1:${port}`;
  const removeSnapshots = () => rmSync(snapshots.dir, { recursive: true, force: true });
  try {
    await waitForOk(`${baseUrl}/`, child, output, 15_000);
  } catch (error) {
    await stop(child);
    await database.drop();
    removeSnapshots();
    throw error;
  }
  return {
    baseUrl,
    child,
    heap: (top = 12) => heapOf(child, snapshots.dir, `${baseUrl}/`, output, top),
    async stop() {
      try {
        await stop(child);
      } finally {
        removeSnapshots();
        await database.drop();
      }
    },
  };
}

module.exports = { startBaseline, startMinimalChatServer, BASELINES: Object.keys(KINDS) };
