import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { CurrentPrincipal, RequirePermission } from '../../shared/auth/auth.decorators';
import type { Principal } from '../../shared/auth/principal';
import { Permission } from '../../shared/auth/permissions';
import { ApiErrors } from '../../shared/http/api-error-responses.decorator';
import { UuidParam } from '../../shared/http/uuid-param';
import { CreateTenantDto } from './dto/create-tenant.dto';
import { ListTenantsQueryDto } from './dto/list-tenants-query.dto';
import { TenantListResponseDto, TenantResponseDto } from './dto/tenant-response.dto';
import { UpdateTenantDto } from './dto/update-tenant.dto';
import { TenantsService } from './tenants.service';

/** Platform-operator routes: tenants are created, re-tiered and deactivated here. */
@ApiTags('tenants')
@Controller('tenants')
export class TenantsController {
  constructor(private readonly tenants: TenantsService) {}

  /** Creates a tenant. */
  @Post()
  @RequirePermission(Permission.TenantManage)
  @ApiCreatedResponse({ type: TenantResponseDto })
  @ApiErrors(400, 409)
  async createTenant(
    @CurrentPrincipal() principal: Principal,
    @Body() dto: CreateTenantDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<TenantResponseDto> {
    const tenant = await this.tenants.create(principal, dto);
    res.location(`/api/v1/tenants/${tenant.id}`);
    return tenant;
  }

  /** Lists tenants, oldest first. */
  @Get()
  @RequirePermission(Permission.TenantManage)
  @ApiErrors(400)
  listTenants(@Query() query: ListTenantsQueryDto): Promise<TenantListResponseDto> {
    return this.tenants.list(query);
  }

  /** Gets one tenant with its limits in force. */
  @Get(':id')
  @RequirePermission(Permission.TenantManage)
  @ApiErrors(400, 404)
  getTenant(@Param('id', UuidParam) id: string): Promise<TenantResponseDto> {
    return this.tenants.get(id);
  }

  /** Changes a tenant's name, tier or limit overrides. */
  @Patch(':id')
  @RequirePermission(Permission.TenantManage)
  @ApiErrors(400, 404)
  updateTenant(
    @CurrentPrincipal() principal: Principal,
    @Param('id', UuidParam) id: string,
    @Body() dto: UpdateTenantDto,
  ): Promise<TenantResponseDto> {
    return this.tenants.update(principal, id, dto);
  }

  /** Deactivates a tenant: its principals get 403 TENANT_INACTIVE from then on. Data is kept. */
  @Post(':id/deactivate')
  @HttpCode(200)
  @RequirePermission(Permission.TenantManage)
  @ApiErrors(400, 404)
  deactivateTenant(
    @CurrentPrincipal() principal: Principal,
    @Param('id', UuidParam) id: string,
  ): Promise<TenantResponseDto> {
    return this.tenants.deactivate(principal, id);
  }

  /** Reactivates a deactivated tenant. */
  @Post(':id/activate')
  @HttpCode(200)
  @RequirePermission(Permission.TenantManage)
  @ApiErrors(400, 404)
  activateTenant(
    @CurrentPrincipal() principal: Principal,
    @Param('id', UuidParam) id: string,
  ): Promise<TenantResponseDto> {
    return this.tenants.activate(principal, id);
  }
}
