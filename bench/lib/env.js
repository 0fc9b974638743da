'use strict';
/** Where the local servers are: the environment first, then .env.example (this machine's servers). */
const { existsSync, readFileSync } = require('node:fs');
const { join } = require('node:path');

const ROOT = join(__dirname, '..', '..');

function envExample() {
  const path = join(ROOT, '.env.example');
  const values = {};
  if (!existsSync(path)) return values;
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const match = /^\s*([A-Z_][A-Z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (match && match[2] !== '') values[match[1]] = match[2];
  }
  return values;
}

function serverUrls() {
  const example = envExample();
  return {
    databaseUrl:
      process.env.DATABASE_URL || example.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/agentry',
    redisUrl: process.env.REDIS_URL || example.REDIS_URL || 'redis://127.0.0.1:6379',
  };
}

/** `taskset -c <core>` when taskset exists and the machine has that core; nothing otherwise or for core null. */
function pinned(core, command, args) {
  const os = require('node:os');
  const hasTaskset = ['/usr/bin/taskset', '/bin/taskset'].some((path) => existsSync(path));
  if (core === null || !hasTaskset || os.availableParallelism() <= core) return { command, args };
  return { command: 'taskset', args: ['-c', String(core), command, ...args] };
}

/** The server side runs on core 0, the load generator on core 1 (when there are two). */
const SERVER_CORE = 0;
const LOAD_CORE = 1;

module.exports = { ROOT, serverUrls, pinned, SERVER_CORE, LOAD_CORE };
