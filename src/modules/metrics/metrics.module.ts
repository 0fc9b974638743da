import { Module } from '@nestjs/common';
import { MetricsController } from './metrics.controller';
import { MetricsRepository } from './metrics.repository';
import { MetricsService } from './metrics.service';
import { PrometheusController } from './prometheus.controller';
import { PrometheusService } from './prometheus.service';

/** `/api/v1/metrics` for tenants and operators, and `/metrics` for Prometheus. */
@Module({
  controllers: [MetricsController, PrometheusController],
  providers: [MetricsRepository, MetricsService, PrometheusService],
})
export class MetricsModule {}
