import { Body, Controller, Delete, Get, Headers, HttpCode, Param, Put, Query, Res } from '@nestjs/common';
import { ApiHeader, ApiNoContentResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { CurrentTenant, RequirePermission } from '../../shared/auth/auth.decorators';
import { Permission } from '../../shared/auth/permissions';
import type { TenantPrincipal } from '../../shared/auth/principal';
import { ApiErrors } from '../../shared/http/api-error-responses.decorator';
import { PageQueryDto } from '../../shared/http/pagination.dto';
import { ComponentsService } from './components.service';
import { ConfigService } from './config.service';
import { CacheStatsResponseDto } from './dto/cache-stats-response.dto';
import {
  ComponentHistoryResponseDto,
  ComponentListResponseDto,
  ComponentResponseDto,
  PutComponentResponseDto,
} from './dto/component-response.dto';
import { ListComponentsQueryDto } from './dto/list-components-query.dto';
import { PutComponentDto } from './dto/put-component.dto';

const IfMatchHeader = () =>
  ApiHeader({
    name: 'If-Match',
    required: false,
    description: 'The version you last read, as its ETag (`"3"`); a stale one answers 412 VERSION_CONFLICT',
  });

@ApiTags('config')
@Controller('config')
export class ConfigController {
  constructor(
    private readonly configs: ConfigService,
    private readonly components: ComponentsService,
  ) {}

  /**
   * Statistics of this instance's caches for your tenant: resolved configs (entries, hits, misses)
   * and config reviews (entries, hits, misses, reviews run). Declared before `:name`.
   */
  @Get('cache/stats')
  @RequirePermission(Permission.ConfigRead)
  getConfigCacheStats(@CurrentTenant() principal: TenantPrincipal): CacheStatsResponseDto {
    return this.configs.cacheStats(principal.tenant.id);
  }

  /** Lists your tenant's components by name (`type`, `tag`, `enabled` filters). */
  @Get()
  @RequirePermission(Permission.ConfigRead)
  @ApiErrors(400)
  listComponents(
    @CurrentTenant() principal: TenantPrincipal,
    @Query() query: ListComponentsQueryDto,
  ): Promise<ComponentListResponseDto> {
    return this.components.list(principal.tenant.id, query);
  }

  /** A component's changes, newest first, with old and new config (secrets masked); kept after a delete. */
  @Get(':name/history')
  @RequirePermission(Permission.ConfigRead)
  @ApiErrors(400, 404)
  getComponentHistory(
    @CurrentTenant() principal: TenantPrincipal,
    @Param('name') name: string,
    @Query() query: PageQueryDto,
  ): Promise<ComponentHistoryResponseDto> {
    return this.components.history(principal.tenant.id, name, query);
  }

  /** Gets a component (`ETag: "<version>"`); secrets masked. */
  @Get(':name')
  @RequirePermission(Permission.ConfigRead)
  @ApiErrors(400, 404)
  async getComponent(
    @CurrentTenant() principal: TenantPrincipal,
    @Param('name') name: string,
    @Res({ passthrough: true }) res: Response,
  ): Promise<ComponentResponseDto> {
    const component = await this.components.get(principal.tenant.id, name);
    res.setHeader('ETag', `"${component.version}"`);
    return component;
  }

  /** Creates or updates a component after review; errors answer 422 with the findings. `validate_only` saves nothing. */
  @Put(':name')
  @RequirePermission(Permission.ConfigWrite)
  @IfMatchHeader()
  @ApiErrors(400, 412, 422)
  async putComponent(
    @CurrentTenant() principal: TenantPrincipal,
    @Param('name') name: string,
    @Body() dto: PutComponentDto,
    @Headers('if-match') ifMatch: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<PutComponentResponseDto> {
    const outcome = await this.components.put(principal, name, dto, ifMatch);
    if (outcome.etag !== null) res.setHeader('ETag', `"${outcome.etag}"`);
    return outcome.body;
  }

  /** Deletes a component; 409 COMPONENT_IN_USE naming the agents that still use it. */
  @Delete(':name')
  @HttpCode(204)
  @RequirePermission(Permission.ConfigWrite)
  @IfMatchHeader()
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiErrors(400, 404, 409, 412)
  deleteComponent(
    @CurrentTenant() principal: TenantPrincipal,
    @Param('name') name: string,
    @Headers('if-match') ifMatch: string | undefined,
  ): Promise<void> {
    return this.components.remove(principal, name, ifMatch);
  }
}
