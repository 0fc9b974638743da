import { ApiProperty } from '@nestjs/swagger';
import { PageMetaDto } from '../../../shared/http/pagination.dto';
import type { ModelRef } from '../agent-config';
import type { AgentLabelEntity } from '../agent-label.entity';
import type { AgentVersionEntity } from '../agent-version.entity';
import { AGENT_STATUSES, type AgentEntity, type AgentStatus } from '../agent.entity';
import { MODEL_REF_SCHEMA } from './agent-config-fields.dto';

export class RunParametersResponseDto {
  temperature?: number;
  top_p?: number;
  max_tokens?: number;
  max_steps?: number;
}

/** An agent in a list: its identity and the headline of its current version. */
export class AgentSummaryDto {
  id: string;
  name: string;
  description: string | null;
  @ApiProperty({ ...MODEL_REF_SCHEMA, nullable: true })
  model: ModelRef | null;
  tools: string[];
  @ApiProperty({ enum: AGENT_STATUSES })
  status: AgentStatus;
  /** The current (`latest`) version; also the agent's ETag. */
  version: number;
  /** `sha256:<hex>` of the current version's canonical config. */
  config_hash: string;
  tags: string[];
  created_at: string;
  updated_at: string;
}

/** An agent with its current configuration inline. */
export class AgentResponseDto extends AgentSummaryDto {
  system_prompt: string | null;
  memory: string | null;
  knowledge: string | null;
  config: RunParametersResponseDto;
  @ApiProperty({ type: 'object', additionalProperties: true })
  metadata: Record<string, unknown>;
  /** Label -> version, e.g. `{"production": 2}`; `latest` is implicit (= `version`). */
  @ApiProperty({ type: 'object', additionalProperties: { type: 'integer' }, example: { production: 2 } })
  labels: Record<string, number>;
  /** The template this agent was made from, if any. */
  template_id: string | null;
  template_version: number | null;
}

export class AgentListResponseDto extends PageMetaDto {
  items: AgentSummaryDto[];
  /** Pass as `cursor` for the next page; null on the last one. */
  next_cursor: string | null;
}

export function toAgentSummary(agent: AgentEntity, version: AgentVersionEntity): AgentSummaryDto {
  return {
    id: agent.id,
    name: agent.name,
    description: version.config.description,
    model: version.config.model,
    tools: version.config.tools,
    status: agent.status,
    version: version.version,
    config_hash: version.configHash,
    tags: agent.tags,
    created_at: agent.createdAt.toISOString(),
    updated_at: agent.updatedAt.toISOString(),
  };
}

export function toAgentResponse(
  agent: AgentEntity,
  version: AgentVersionEntity,
  labels: AgentLabelEntity[],
): AgentResponseDto {
  const config = version.config;
  return {
    id: agent.id,
    name: agent.name,
    description: config.description,
    tags: agent.tags,
    status: agent.status,
    version: version.version,
    system_prompt: config.system_prompt,
    model: config.model,
    tools: config.tools,
    memory: config.memory,
    knowledge: config.knowledge,
    config: config.config,
    metadata: config.metadata,
    config_hash: version.configHash,
    labels: Object.fromEntries(labels.map((label) => [label.label, label.version])),
    template_id: agent.templateId,
    template_version: agent.templateVersion,
    created_at: agent.createdAt.toISOString(),
    updated_at: agent.updatedAt.toISOString(),
  };
}
