import { Controller, Get, Param, Query, Req, Res } from '@nestjs/common';
import { ApiNotModifiedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import type { Request, Response } from 'express';
import { CurrentTenant, RequirePermission } from '../../shared/auth/auth.decorators';
import { Permission } from '../../shared/auth/permissions';
import type { TenantPrincipal } from '../../shared/auth/principal';
import { ApiErrors } from '../../shared/http/api-error-responses.decorator';
import { sendCachedJson } from '../../shared/http/cached-json';
import {
  ResolvedConfigQueryDto,
  ResolvedConfigResponseDto,
  ResolvedConfigSetResponseDto,
} from './dto/resolved-config.dto';
import { ResolvedConfigService } from './resolved-config.service';

/** Resolved configurations for execution services; served from memory, with ETags. */
@ApiTags('internal')
@SkipThrottle()
@Controller('internal/v1')
export class InternalAgentsController {
  constructor(private readonly resolved: ResolvedConfigService) {}

  /**
   * The resolved configuration of an active agent by id or name, at `label` (default `latest`) or
   * `version`. `ETag` is the config hash; send it as `If-None-Match` to get 304 while unchanged.
   * Named components are expanded; their secrets are decrypted for a key created with
   * `allow_secrets`, masked for any other.
   */
  @Get('agents/:idOrName/config')
  @RequirePermission(Permission.InternalRead)
  @ApiOkResponse({ type: ResolvedConfigResponseDto })
  @ApiNotModifiedResponse({ description: 'Unchanged since the ETag sent in If-None-Match' })
  @ApiErrors(400, 404)
  async getInternalAgentConfig(
    @CurrentTenant() principal: TenantPrincipal,
    @Param('idOrName') idOrName: string,
    @Query() query: ResolvedConfigQueryDto,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    sendCachedJson(
      req,
      res,
      await this.resolved.resolve(principal.tenant.id, idOrName, query, principal.allowSecrets === true),
    );
  }

  /** Every active agent's resolved configuration and the change sequence they are at (ETag). */
  @Get('config/all')
  @RequirePermission(Permission.InternalRead)
  @ApiOkResponse({ type: ResolvedConfigSetResponseDto })
  @ApiNotModifiedResponse({ description: 'No change since the ETag sent in If-None-Match' })
  async getInternalConfigAll(
    @CurrentTenant() principal: TenantPrincipal,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    sendCachedJson(
      req,
      res,
      await this.resolved.resolveAll(principal.tenant.id, principal.allowSecrets === true),
    );
  }
}
