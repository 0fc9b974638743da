import { Module } from '@nestjs/common';
import { ChangeEventsRepository } from './change-events.repository';
import { ChangeFeedService } from './change-feed.service';
import { EventsController } from './events.controller';

/** The change feed: `/api/v1/events/stream` here, and the `/internal/v1` feed routes through its exports. */
@Module({
  controllers: [EventsController],
  providers: [ChangeEventsRepository, ChangeFeedService],
  exports: [ChangeFeedService],
})
export class EventsModule {}
