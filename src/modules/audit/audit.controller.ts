import { Controller, Get, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { CurrentTenant, RequirePermission } from '../../shared/auth/auth.decorators';
import { Permission } from '../../shared/auth/permissions';
import type { TenantPrincipal } from '../../shared/auth/principal';
import { ApiErrors } from '../../shared/http/api-error-responses.decorator';
import { AuditService } from './audit.service';
import { AuditListResponseDto } from './dto/audit-entry-response.dto';
import { ListAuditQueryDto } from './dto/list-audit-query.dto';

@ApiTags('audit')
@Controller('audit')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  /** Lists the tenant's audit log, newest first. */
  @Get()
  @RequirePermission(Permission.AuditRead)
  @ApiErrors(400)
  listAuditEntries(
    @CurrentTenant() principal: TenantPrincipal,
    @Query() query: ListAuditQueryDto,
  ): Promise<AuditListResponseDto> {
    return this.audit.list(principal.tenant.id, query);
  }
}

@ApiTags('platform')
@Controller('platform/audit')
export class PlatformAuditController {
  constructor(private readonly audit: AuditService) {}

  /** Lists what platform operators did outside any tenant (platform service keys), newest first. */
  @Get()
  @RequirePermission(Permission.TenantManage)
  @ApiErrors(400)
  listPlatformAuditEntries(@Query() query: ListAuditQueryDto): Promise<AuditListResponseDto> {
    return this.audit.listPlatform(query);
  }
}
