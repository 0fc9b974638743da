import { Module } from '@nestjs/common';
import { PrometheusController } from './prometheus.controller';
import { PrometheusService } from './prometheus.service';

/** `/metrics` for Prometheus; the tenant-facing `/api/v1/metrics` routes join it. */
@Module({
  controllers: [PrometheusController],
  providers: [PrometheusService],
})
export class MetricsModule {}
