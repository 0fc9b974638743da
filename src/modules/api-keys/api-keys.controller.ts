import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { CurrentTenant, RequirePermission } from '../../shared/auth/auth.decorators';
import { Permission } from '../../shared/auth/permissions';
import type { TenantPrincipal } from '../../shared/auth/principal';
import { ApiErrors } from '../../shared/http/api-error-responses.decorator';
import { UuidParam } from '../../shared/http/uuid-param';
import { ApiKeysService } from './api-keys.service';
import {
  ApiKeyListResponseDto,
  ApiKeyResponseDto,
  CreatedApiKeyResponseDto,
} from './dto/api-key-response.dto';
import { CreateApiKeyDto } from './dto/create-api-key.dto';
import { ListApiKeysQueryDto } from './dto/list-api-keys-query.dto';

@ApiTags('api-keys')
@Controller('api-keys')
export class ApiKeysController {
  constructor(private readonly apiKeys: ApiKeysService) {}

  /** Creates an API key for your tenant. The key is in this response only. */
  @Post()
  @RequirePermission(Permission.ApiKeyManage)
  @ApiCreatedResponse({ type: CreatedApiKeyResponseDto })
  @ApiErrors(400)
  async createApiKey(
    @CurrentTenant() principal: TenantPrincipal,
    @Body() dto: CreateApiKeyDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<CreatedApiKeyResponseDto> {
    const created = await this.apiKeys.create(principal, dto);
    res.location(`/api/v1/api-keys/${created.id}`);
    return created;
  }

  /** Lists your tenant's API keys, newest first (never the keys themselves). */
  @Get()
  @RequirePermission(Permission.ApiKeyManage)
  @ApiErrors(400)
  listApiKeys(
    @CurrentTenant() principal: TenantPrincipal,
    @Query() query: ListApiKeysQueryDto,
  ): Promise<ApiKeyListResponseDto> {
    return this.apiKeys.list(principal.tenant.id, query);
  }

  /** Gets one API key's metadata. */
  @Get(':id')
  @RequirePermission(Permission.ApiKeyManage)
  @ApiErrors(400, 404)
  getApiKey(
    @CurrentTenant() principal: TenantPrincipal,
    @Param('id', UuidParam) id: string,
  ): Promise<ApiKeyResponseDto> {
    return this.apiKeys.get(principal.tenant.id, id);
  }

  /** Revokes an API key; it stops working at once. */
  @Delete(':id')
  @HttpCode(204)
  @RequirePermission(Permission.ApiKeyManage)
  @ApiNoContentResponse({ description: 'Revoked' })
  @ApiErrors(400, 404)
  revokeApiKey(
    @CurrentTenant() principal: TenantPrincipal,
    @Param('id', UuidParam) id: string,
  ): Promise<void> {
    return this.apiKeys.revoke(principal, id);
  }
}
