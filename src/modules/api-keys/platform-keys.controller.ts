import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, RequirePermission } from '../../shared/auth/auth.decorators';
import { Permission } from '../../shared/auth/permissions';
import type { Principal } from '../../shared/auth/principal';
import { ApiErrors } from '../../shared/http/api-error-responses.decorator';
import { UuidParam } from '../../shared/http/uuid-param';
import { ApiKeysService } from './api-keys.service';
import { ApiKeyListResponseDto, CreatedApiKeyResponseDto } from './dto/api-key-response.dto';
import { CreatePlatformKeyDto } from './dto/create-api-key.dto';
import { ListApiKeysQueryDto } from './dto/list-api-keys-query.dto';

/** Platform operators' service keys: execution services that read `/internal` for any tenant. */
@ApiTags('platform')
@Controller('platform/service-keys')
export class PlatformKeysController {
  constructor(private readonly apiKeys: ApiKeysService) {}

  /** Creates a platform service key; it sends `X-Tenant-Id` to pick the tenant it reads. Shown once. */
  @Post()
  @RequirePermission(Permission.TenantManage)
  @ApiCreatedResponse({ type: CreatedApiKeyResponseDto })
  @ApiErrors(400)
  createPlatformKey(
    @CurrentPrincipal() principal: Principal,
    @Body() dto: CreatePlatformKeyDto,
  ): Promise<CreatedApiKeyResponseDto> {
    return this.apiKeys.createPlatformKey(principal, dto);
  }

  /** Lists platform service keys, newest first. */
  @Get()
  @RequirePermission(Permission.TenantManage)
  @ApiErrors(400)
  listPlatformKeys(@Query() query: ListApiKeysQueryDto): Promise<ApiKeyListResponseDto> {
    return this.apiKeys.listPlatformKeys(query);
  }

  /** Revokes a platform service key at once. */
  @Delete(':id')
  @HttpCode(204)
  @RequirePermission(Permission.TenantManage)
  @ApiNoContentResponse({ description: 'Revoked' })
  @ApiErrors(400, 404)
  revokePlatformKey(
    @CurrentPrincipal() principal: Principal,
    @Param('id', UuidParam) id: string,
  ): Promise<void> {
    return this.apiKeys.revokePlatformKey(principal, id);
  }
}
