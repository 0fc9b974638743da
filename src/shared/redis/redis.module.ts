import { Global, Inject, Injectable, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';
import { APP_SETTINGS } from '../settings/settings.module';
import type { AppSettings } from '../settings/settings';

/**
 * The Redis connections, or none when `REDIS_URL` is unset. Commands fail fast while Redis is
 * down (one retry, no offline queue) so that callers can fall back instead of hanging.
 */
@Injectable()
export class RedisConnections implements OnApplicationShutdown {
  private readonly logger = new Logger('Redis');
  readonly commands: Redis | null;
  private subscriberConnection: Redis | null = null;

  constructor(@Inject(APP_SETTINGS) private readonly settings: AppSettings) {
    this.commands = settings.redisUrl ? this.connect('commands') : null;
  }

  get enabled(): boolean {
    return this.commands !== null;
  }

  /** A dedicated connection for SUBSCRIBE, made on first use. */
  subscriber(): Redis {
    if (!this.settings.redisUrl) throw new Error('Redis is not configured');
    this.subscriberConnection ??= this.connect('subscriber');
    return this.subscriberConnection;
  }

  private connect(role: string): Redis {
    const client = new Redis(this.settings.redisUrl as string, {
      maxRetriesPerRequest: 1,
      enableOfflineQueue: role === 'subscriber',
      connectTimeout: 2_000,
      retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
      connectionName: `agentry-${role}`,
    });
    let reported = false;
    client.on('error', (err) => {
      if (!reported) this.logger.warn({ err: err.message }, `redis ${role} connection error`);
      reported = true;
    });
    client.on('ready', () => {
      if (reported) this.logger.log(`redis ${role} connection restored`);
      reported = false;
    });
    return client;
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(
      [this.commands, this.subscriberConnection].map((client) =>
        client?.quit().catch(() => client.disconnect()),
      ),
    );
  }
}

@Global()
@Module({ providers: [RedisConnections], exports: [RedisConnections] })
export class RedisModule {}
