import { Global, Module } from '@nestjs/common';
import { ThrottlerModule, ThrottlerStorage, ThrottlerStorageService } from '@nestjs/throttler';
import { RedisConnections } from '../redis/redis.module';
import { APP_SETTINGS } from '../settings/settings.module';
import type { AppSettings } from '../settings/settings';
import { RedisThrottlerStorage } from './redis-throttler.storage';
import { TenantThrottlerGuard } from './tenant-throttler.guard';

/** The counter store: Redis when configured (shared by all instances), in-process otherwise. */
export const RATE_LIMIT_STORAGE = Symbol('RATE_LIMIT_STORAGE');

const storageProvider = {
  provide: RATE_LIMIT_STORAGE,
  inject: [RedisConnections, APP_SETTINGS],
  useFactory: (redis: RedisConnections, settings: AppSettings): ThrottlerStorage =>
    redis.commands
      ? new RedisThrottlerStorage(redis.commands, settings.redisPrefix)
      : new ThrottlerStorageService(),
};

@Global()
@Module({ providers: [storageProvider], exports: [RATE_LIMIT_STORAGE] })
export class RateLimitStorageModule {}

@Global()
@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      imports: [RateLimitStorageModule],
      inject: [RATE_LIMIT_STORAGE, APP_SETTINGS],
      useFactory: (storage: ThrottlerStorage, settings: AppSettings) => ({
        storage,
        throttlers: [
          {
            name: 'default',
            ttl: 60_000,
            limit: (context) => TenantThrottlerGuard.limitFor(context, settings),
          },
        ],
      }),
    }),
    RateLimitStorageModule,
  ],
  providers: [TenantThrottlerGuard],
  exports: [TenantThrottlerGuard, RateLimitStorageModule],
})
export class RateLimitModule {}
