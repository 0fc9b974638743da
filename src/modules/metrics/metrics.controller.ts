import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, RequirePermission } from '../../shared/auth/auth.decorators';
import { Permission } from '../../shared/auth/permissions';
import type { Principal } from '../../shared/auth/principal';
import { ApiErrors } from '../../shared/http/api-error-responses.decorator';
import { UuidParam } from '../../shared/http/uuid-param';
import { AgentMetricsQueryDto } from './dto/agent-metrics-query.dto';
import { AgentMetricsResponseDto } from './dto/agent-metrics-response.dto';
import { SystemMetricsResponseDto } from './dto/system-metrics-response.dto';
import { MetricsService } from './metrics.service';

@ApiTags('metrics')
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  /**
   * An agent's finished runs in a period: totals, a series with every bucket present (empty ones
   * as zeros) and the same split by agent version. Periods align to whole hours (UTC).
   */
  @Get('agents/:id')
  @RequirePermission(Permission.MetricsRead)
  @ApiErrors(400, 404)
  getAgentMetrics(
    @CurrentPrincipal() principal: Principal,
    @Param('id', UuidParam) id: string,
    @Query() query: AgentMetricsQueryDto,
  ): Promise<AgentMetricsResponseDto> {
    return this.metrics.agent(principal, id, query);
  }

  /** Your tenant's totals; for platform operators, every tenant's with a per-tenant breakdown. */
  @Get('system')
  @RequirePermission(Permission.MetricsRead)
  getSystemMetrics(@CurrentPrincipal() principal: Principal): Promise<SystemMetricsResponseDto> {
    return this.metrics.system(principal);
  }
}
