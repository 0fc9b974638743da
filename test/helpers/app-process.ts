import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import request from 'supertest';
import { TEST_JWT_SECRET } from './tokens';

const MAIN = resolve(__dirname, '..', '..', 'dist', 'src', 'main.js');

/** The built app (`npm run build` first) running as a child process, to be killed like a real one. */
export interface AppProcess {
  url: string;
  child: ChildProcess;
  output(): string;
  kill(signal: NodeJS.Signals): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

export function builtAppExists(): boolean {
  return existsSync(MAIN);
}

/** Starts dist/src/main.js with this environment and waits until it answers /api/v1/health. */
export async function startAppProcess(env: Record<string, string>): Promise<AppProcess> {
  if (!builtAppExists()) throw new Error(`${MAIN} is missing: run npm run build first`);
  const port = await freePort();
  // An empty working directory, so no .env of the checkout leaks in.
  const cwd = mkdtempSync(join(tmpdir(), 'agentry-proc-'));
  let output = '';
  const child = spawn(process.execPath, [MAIN], {
    cwd,
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'test',
      LOG_PRETTY: 'false',
      HOST: '127.0.0.1',
      PORT: String(port),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the app exited with ${child.exitCode}: ${output}`);
    try {
      const res = await fetch(`${url}/api/v1/health/live`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`the app did not start: ${output}`);
    await new Promise((done) => setTimeout(done, 100));
  }
  return {
    url,
    child,
    output: () => output,
    kill: async (signal) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((done) => child.once('exit', () => done()));
      child.kill(signal);
      await exited;
    },
  };
}

/**
 * The built app as a child process on `databaseUrl` and the test Redis under `redisPrefix`, with
 * the test JWT secret, and a TestApp-shaped handle on it for the factories (`http`, `url`).
 */
export async function startAppProcessOn(
  databaseUrl: string,
  redisPrefix: string,
  env: Record<string, string> = {},
): Promise<{ proc: AppProcess; viaProc: { http: ReturnType<typeof request>; url: string } }> {
  const proc = await startAppProcess({
    DATABASE_URL: databaseUrl,
    REDIS_URL: process.env.AGENTRY_TEST_REDIS_URL as string,
    REDIS_PREFIX: redisPrefix,
    JWT_SECRET: TEST_JWT_SECRET,
    ...env,
  });
  return { proc, viaProc: { http: request(proc.url), url: proc.url } };
}
