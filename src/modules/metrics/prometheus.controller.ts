import { Controller, Get, Headers, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import type { Response } from 'express';
import { Public } from '../../shared/auth/auth.decorators';
import { PrometheusService } from './prometheus.service';

/** Prometheus' scrape target, outside the API prefix; guarded by METRICS_TOKEN when it is set. */
@ApiExcludeController()
@Public()
@SkipThrottle()
@Controller('metrics')
export class PrometheusController {
  constructor(private readonly prometheus: PrometheusService) {}

  @Get()
  async getPrometheusMetrics(
    @Headers('authorization') authorization: string | undefined,
    @Res() res: Response,
  ): Promise<void> {
    const text = await this.prometheus.scrape(authorization);
    res.setHeader('Content-Type', this.prometheus.contentType);
    res.end(text);
  }
}
