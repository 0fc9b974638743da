import { Module } from '@nestjs/common';
import { SecretsModule } from '../../shared/secrets/secrets.module';
import { EventsModule } from '../events/events.module';
import { InternalAgentsController } from './internal-agents.controller';
import { InternalChangesController } from './internal-changes.controller';
import { InternalConfigFastPath } from './internal-config.fast-path';
import { ResolvedConfigCache } from './resolved-config.cache';
import { ResolvedConfigRepository } from './resolved-config.repository';
import { ResolvedConfigService } from './resolved-config.service';

/** `/internal/v1`: read-only routes for execution services, outside the `/api/v1` prefix. */
@Module({
  imports: [EventsModule, SecretsModule],
  controllers: [InternalAgentsController, InternalChangesController],
  providers: [ResolvedConfigRepository, ResolvedConfigCache, ResolvedConfigService, InternalConfigFastPath],
  exports: [ResolvedConfigService, InternalConfigFastPath],
})
export class InternalModule {}
