import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { CurrentTenant, RequirePermission } from '../../shared/auth/auth.decorators';
import { Permission } from '../../shared/auth/permissions';
import type { TenantPrincipal } from '../../shared/auth/principal';
import { ConfigService } from './config.service';
import { CacheStatsResponseDto } from './dto/cache-stats-response.dto';

@ApiTags('config')
@Controller('config')
export class ConfigController {
  constructor(private readonly configs: ConfigService) {}

  /** Statistics of this instance's resolved-config cache for your tenant: entries, hits, misses. */
  @Get('cache/stats')
  @RequirePermission(Permission.ConfigRead)
  getConfigCacheStats(@CurrentTenant() principal: TenantPrincipal): CacheStatsResponseDto {
    return this.configs.cacheStats(principal.tenant.id);
  }
}
