import { Global, Module } from '@nestjs/common';
import { RedisConnections } from '../redis/redis.module';
import { APP_SETTINGS } from '../settings/settings.module';
import type { AppSettings } from '../settings/settings';
import { InProcessMessageBus, MessageBus, RedisMessageBus } from './message-bus';
import { CommittedChanges } from './committed-changes';
import { OutboxCommitSubscriber } from './outbox-commit.subscriber';
import { OutboxRelay } from './outbox-relay.service';
import { OutboxService } from './outbox.service';

@Global()
@Module({
  providers: [
    {
      provide: MessageBus,
      inject: [RedisConnections, APP_SETTINGS],
      useFactory: (redis: RedisConnections, settings: AppSettings): MessageBus =>
        redis.enabled ? new RedisMessageBus(redis, settings.redisPrefix) : new InProcessMessageBus(),
    },
    OutboxService,
    OutboxRelay,
    OutboxCommitSubscriber,
    CommittedChanges,
  ],
  exports: [MessageBus, OutboxService, OutboxRelay, CommittedChanges],
})
export class MessagingModule {}
