import { ApiProperty } from '@nestjs/swagger';
import { PageMetaDto } from '../../../shared/http/pagination.dto';
import { configHash } from '../../agents/agent-config';
import { AgentConfigResponseDto } from '../../agents/dto/agent-version-response.dto';
import { Tier, TIERS } from '../../tenants/tiers';
import type { TemplateEntity } from '../template.entity';

export class TemplateResponseDto {
  id: string;
  name: string;
  description: string | null;
  tags: string[];
  /** True for a platform-wide template (read-only to tenants). */
  global: boolean;
  /** Lowest tier that may instantiate it. */
  @ApiProperty({ enum: TIERS })
  min_tier: Tier;
  /** 1, bumped by every update; also the template's ETag. */
  version: number;
  /** The agent config instances start from. */
  config: AgentConfigResponseDto;
  /** `sha256:<hex>` of the config's canonical JSON. */
  config_hash: string;
  created_by: string;
  created_at: string;
  updated_at: string;
}

export class TemplateListResponseDto extends PageMetaDto {
  items: TemplateResponseDto[];
}

export function toTemplateResponse(template: TemplateEntity): TemplateResponseDto {
  return {
    id: template.id,
    name: template.name,
    description: template.description,
    tags: template.tags,
    global: template.tenantId === null,
    min_tier: template.minTier,
    version: template.version,
    config: template.config,
    config_hash: configHash(template.config),
    created_by: template.createdBy,
    created_at: template.createdAt.toISOString(),
    updated_at: template.updatedAt.toISOString(),
  };
}
