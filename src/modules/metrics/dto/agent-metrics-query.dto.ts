import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { IsIsoDateTime } from '../../../shared/http/validation';

export const GRANULARITIES = ['hour', 'day', 'week'] as const;
export type Granularity = (typeof GRANULARITIES)[number];

export class AgentMetricsQueryDto {
  /** Start of the period (ISO 8601); default: 24 hours, 30 days or 12 weeks before end_time. */
  @IsOptional()
  @IsIsoDateTime()
  start_time?: Date;

  /** End of the period, exclusive (ISO 8601); default: now. */
  @IsOptional()
  @IsIsoDateTime()
  end_time?: Date;

  /** Width of the time-series buckets (UTC; weeks start on Monday). */
  @IsOptional()
  @IsIn(GRANULARITIES)
  @ApiPropertyOptional({ default: 'hour' })
  granularity: Granularity = 'hour';
}
