import { DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import type { DestinationStream } from 'pino';
import { AgentsModule } from './modules/agents/agents.module';
import { AuditModule } from './modules/audit/audit.module';
import { ApiKeysModule } from './modules/api-keys/api-keys.module';
import { BootstrapModule } from './modules/bootstrap/bootstrap.module';
import { ChatModule } from './modules/chat/chat.module';
import { CheckpointsModule } from './modules/checkpoints/checkpoints.module';
import { ConfigModule } from './modules/config/config.module';
import { EventsModule } from './modules/events/events.module';
import { HealthModule } from './modules/health/health.module';
import { InternalModule } from './modules/internal/internal.module';
import { RunsModule } from './modules/runs/runs.module';
import { MetricsModule } from './modules/metrics/metrics.module';
import { TemplatesModule } from './modules/templates/templates.module';
import { TenantsModule } from './modules/tenants/tenants.module';
import { AuthGuard } from './shared/auth/auth.guard';
import { AuthModule } from './shared/auth/auth.module';
import { DatabaseModule } from './shared/database/database.module';
import { MessagingModule } from './shared/events/messaging.module';
import { loggingModule } from './shared/logging/logging.module';
import { RateLimitModule } from './shared/rate-limit/rate-limit.module';
import { TenantThrottlerGuard } from './shared/rate-limit/tenant-throttler.guard';
import { RedisModule } from './shared/redis/redis.module';
import { SseShutdown } from './shared/http/sse-shutdown.service';
import { SettingsModule } from './shared/settings/settings.module';
import type { AppSettings } from './shared/settings/settings';

export interface AppModuleOptions {
  /** Where logs go instead of stdout (tests capture them). */
  logStream?: DestinationStream;
}

@Module({})
export class AppModule {
  static forRoot(settings: AppSettings, options: AppModuleOptions = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        SettingsModule.forRoot(settings),
        loggingModule(settings, options.logStream),
        DatabaseModule,
        RedisModule,
        MessagingModule,
        RateLimitModule,
        AuthModule,
        AuditModule,
        TenantsModule,
        ApiKeysModule,
        HealthModule,
        AgentsModule,
        TemplatesModule,
        EventsModule,
        InternalModule,
        ConfigModule,
        RunsModule,
        ChatModule,
        CheckpointsModule,
        MetricsModule,
        BootstrapModule,
      ],
      providers: [
        // Order matters: authentication first, so that rate limits are counted per tenant.
        { provide: APP_GUARD, useExisting: AuthGuard },
        { provide: APP_GUARD, useExisting: TenantThrottlerGuard },
        SseShutdown,
      ],
    };
  }
}
