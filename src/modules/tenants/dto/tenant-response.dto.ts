import { ApiProperty } from '@nestjs/swagger';
import { PageMetaDto } from '../../../shared/http/pagination.dto';
import type { TenantEntity } from '../tenant.entity';
import { effectiveLimits, Tier, TIERS } from '../tiers';

export class TenantLimitsDto {
  max_agents: number;
  allowed_model_providers: string[];
  max_tools_per_agent: number;
  max_prompt_length: number;
  max_concurrent_runs: number;
  requests_per_minute: number;
}

export class TenantResponseDto {
  id: string;
  /** Unique, never-changing handle; accepted as `tenant_id` in tokens. */
  slug: string;
  name: string;
  @ApiProperty({ enum: TIERS })
  tier: Tier;
  /** False once deactivated: its principals then get 403 TENANT_INACTIVE. */
  active: boolean;
  /** Limits in force: the tier's row with the overrides applied. */
  limits: TenantLimitsDto;
  /**
   * The values that differ from the tier: one sent equal to the tier's own value is not kept; a
   * tier change keeps those set before it.
   */
  @ApiProperty({ type: 'object', additionalProperties: true })
  limit_overrides: Partial<TenantLimitsDto>;
  created_at: string;
  updated_at: string;
  deactivated_at: string | null;
}

export class TenantListResponseDto extends PageMetaDto {
  items: TenantResponseDto[];
}

export function toTenantResponse(tenant: TenantEntity): TenantResponseDto {
  return {
    id: tenant.id,
    slug: tenant.slug,
    name: tenant.name,
    tier: tenant.tier,
    active: tenant.active,
    limits: effectiveLimits(tenant.tier, tenant.limitOverrides),
    limit_overrides: tenant.limitOverrides,
    created_at: tenant.createdAt.toISOString(),
    updated_at: tenant.updatedAt.toISOString(),
    deactivated_at: tenant.deactivatedAt?.toISOString() ?? null,
  };
}
