import cluster from 'node:cluster';
import { existsSync } from 'node:fs';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module';
import { configureApp } from './configure-app';
import { AppLogger } from './shared/logging/logging.module';
import { withDevJwtSecret } from './shared/auth/dev-jwt-secret';
import { packageVersion } from './shared/settings/package-version';
import { loadSettings, SettingsError } from './shared/settings/settings';

async function main(): Promise<void> {
  if (existsSync('.env')) process.loadEnvFile('.env');
  let settings;
  try {
    settings = withDevJwtSecret(loadSettings(process.env, packageVersion()));
  } catch (error) {
    if (error instanceof SettingsError) {
      console.error(`agentry: ${error.message}. See .env.example for every setting.`);
      process.exit(1);
    }
    throw error;
  }

  if (settings.webConcurrency > 1 && cluster.isPrimary) return superviseWorkers(settings.webConcurrency);

  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(settings), {
    bodyParser: false,
    bufferLogs: true,
    forceCloseConnections: false,
  });
  app.useLogger(app.get(AppLogger));
  configureApp(app, settings);
  const server = await app.listen(settings.port, settings.host);
  server.keepAliveTimeout = settings.keepAliveTimeoutMs;
  server.headersTimeout = settings.keepAliveTimeoutMs + 1_000;
  // On SIGTERM/SIGINT: stop accepting, let in-flight requests finish, close the database and Redis
  // (Nest's shutdown hooks), then exit 0. The timeout bounds how long that may take.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      setTimeout(() => {
        console.error(`agentry: shutdown took over ${settings.shutdownTimeoutMs} ms; exiting`);
        process.exit(1);
      }, settings.shutdownTimeoutMs).unref();
      // Idle keep-alive connections close now, busy ones as soon as their response is sent.
      server.keepAliveTimeout = 1;
      server.closeIdleConnections();
      app.close().then(
        () => process.exit(0),
        (error: unknown) => {
          console.error('agentry: shutdown failed:', error instanceof Error ? error.message : error);
          process.exit(1);
        },
      );
    });
  }
  const mode = settings.databaseUrl ? 'PostgreSQL' : 'embedded PostgreSQL';
  const bus = settings.redisUrl ? 'Redis' : 'in-process bus';
  app
    .get(AppLogger)
    .log(
      `Agentry ${settings.version} listening on http://localhost:${settings.port} (${mode}, ${bus}); docs at /docs`,
    );
}

/** The primary of a cluster: forks the workers, replaces one that dies, and passes shutdown on. */
function superviseWorkers(count: number): void {
  let stopping = false;
  for (let i = 0; i < count; i++) cluster.fork();
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
      return;
    }
    console.error(`agentry: worker ${worker.process.pid} exited (${signal ?? code}); starting another`);
    cluster.fork();
  });
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      stopping = true;
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill(signal);
    });
  }
}

void main().catch((error: unknown) => {
  console.error('agentry: failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
