'use strict';
/** Baseline servers in child processes, pinned to the server core like the app. */
const { join } = require('node:path');
const { SERVER_CORE } = require('./env');
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

module.exports = { startBaseline, BASELINES: Object.keys(KINDS) };
