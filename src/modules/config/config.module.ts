import { Module } from '@nestjs/common';
import { SecretsModule } from '../../shared/secrets/secrets.module';
import { AuditModule } from '../audit/audit.module';
import { InternalModule } from '../internal/internal.module';
import { ComponentChangesRepository, ComponentsRepository } from './components.repository';
import { ComponentsService } from './components.service';
import { ConfigReviewService } from './config-review.service';
import { ConfigController } from './config.controller';
import { ConfigService } from './config.service';

/** `/api/v1/config`: component configurations, the config review and the config caches' statistics. */
@Module({
  imports: [InternalModule, AuditModule, SecretsModule],
  controllers: [ConfigController],
  providers: [
    ComponentsRepository,
    ComponentChangesRepository,
    ComponentsService,
    ConfigReviewService,
    ConfigService,
  ],
  exports: [ConfigReviewService],
})
export class ConfigModule {}
