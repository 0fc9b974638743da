import { Module } from '@nestjs/common';
import { EventsModule } from '../events/events.module';
import { InternalChangesController } from './internal-changes.controller';

/** `/internal/v1`: read-only routes for execution services, outside the `/api/v1` prefix. */
@Module({
  imports: [EventsModule],
  controllers: [InternalChangesController],
})
export class InternalModule {}
