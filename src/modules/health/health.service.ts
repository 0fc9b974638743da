import { Inject, Injectable } from '@nestjs/common';
import { TypeOrmHealthIndicator } from '@nestjs/terminus';
import { commonError } from '../../shared/errors/common.errors';
import { RedisConnections } from '../../shared/redis/redis.module';
import { APP_SETTINGS } from '../../shared/settings/settings.module';
import type { AppSettings } from '../../shared/settings/settings';
import type { HealthResponseDto } from './health-response.dto';

const CHECK_TIMEOUT_MS = 1_500;

type ComponentState = 'healthy' | 'unhealthy' | 'disabled';

@Injectable()
export class HealthService {
  constructor(
    private readonly database: TypeOrmHealthIndicator,
    private readonly redis: RedisConnections,
    @Inject(APP_SETTINGS) private readonly settings: AppSettings,
  ) {}

  /** Every dependency checked; 503 in the envelope, naming the failing ones, when any is down. */
  async check(): Promise<HealthResponseDto> {
    const [database, cache] = await Promise.all([this.checkDatabase(), this.checkRedis()]);
    const components = { database, cache };
    const failing = Object.entries(components).filter(([, state]) => state === 'unhealthy');
    if (failing.length > 0) {
      throw commonError(
        'SERVICE_UNAVAILABLE',
        `Unhealthy: ${failing.map(([name]) => name).join(', ')}`,
        failing.map(([name]) => ({ field: name, code: 'unhealthy', message: `${name} did not answer` })),
      );
    }
    return {
      status: 'healthy',
      version: this.settings.version,
      timestamp: new Date().toISOString(),
      components,
    };
  }

  private async checkDatabase(): Promise<ComponentState> {
    try {
      const result = await this.database.pingCheck('database', { timeout: CHECK_TIMEOUT_MS });
      return result.database?.status === 'up' ? 'healthy' : 'unhealthy';
    } catch {
      return 'unhealthy';
    }
  }

  private async checkRedis(): Promise<ComponentState> {
    const client = this.redis.commands;
    if (!client) return 'disabled';
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('timeout')), CHECK_TIMEOUT_MS);
      });
      return (await Promise.race([client.ping(), timeout])) === 'PONG' ? 'healthy' : 'unhealthy';
    } catch {
      return 'unhealthy';
    } finally {
      clearTimeout(timer);
    }
  }
}
