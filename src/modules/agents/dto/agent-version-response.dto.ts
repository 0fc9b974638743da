import { ApiProperty } from '@nestjs/swagger';
import { PageMetaDto } from '../../../shared/http/pagination.dto';
import type { AgentConfig, ModelRef } from '../agent-config';
import type { AgentVersionEntity } from '../agent-version.entity';
import { MODEL_REF_SCHEMA } from './agent-config-fields.dto';
import { RunParametersResponseDto } from './agent-response.dto';

export class AgentVersionSummaryDto {
  version: number;
  /** `sha256:<hex>` of the version's RFC 8785 canonical config. */
  config_hash: string;
  /** `user:<sub>`, `api_key:<id>` or `system`. */
  created_by: string;
  created_at: string;
  /** Why this version was made. */
  note: string | null;
}

/** Everything a version holds (an agent's config without its name, tags and status). */
export class AgentConfigResponseDto {
  description: string | null;
  system_prompt: string | null;
  @ApiProperty({ ...MODEL_REF_SCHEMA, nullable: true })
  model: ModelRef | null;
  tools: string[];
  memory: string | null;
  knowledge: string | null;
  config: RunParametersResponseDto;
  @ApiProperty({ type: 'object', additionalProperties: true })
  metadata: Record<string, unknown>;
}

export class AgentVersionResponseDto extends AgentVersionSummaryDto {
  agent_id: string;
  config: AgentConfigResponseDto;
}

export class AgentVersionListResponseDto extends PageMetaDto {
  items: AgentVersionSummaryDto[];
}

export function toAgentVersionSummary(version: AgentVersionEntity): AgentVersionSummaryDto {
  return {
    version: version.version,
    config_hash: version.configHash,
    created_by: version.createdBy,
    created_at: version.createdAt.toISOString(),
    note: version.note,
  };
}

export function toAgentVersionResponse(version: AgentVersionEntity): AgentVersionResponseDto {
  return {
    agent_id: version.agentId,
    ...toAgentVersionSummary(version),
    config: version.config satisfies AgentConfig,
  };
}
