import type { AgentLabelEntity } from '../agent-label.entity';

export class AgentLabelResponseDto {
  label: string;
  version: number;
  /** The config hash of the version the label points at. */
  config_hash: string;
  /** True for `latest`, which always follows the current version and cannot be set. */
  implicit: boolean;
  /** Who last moved it; null for `latest`. */
  updated_by: string | null;
  updated_at: string;
}

export class AgentLabelListResponseDto {
  agent_id: string;
  /** `latest` first, then the set labels by name. */
  items: AgentLabelResponseDto[];
}

export function toAgentLabelResponse(label: AgentLabelEntity, configHash: string): AgentLabelResponseDto {
  return {
    label: label.label,
    version: label.version,
    config_hash: configHash,
    implicit: false,
    updated_by: label.updatedBy,
    updated_at: label.updatedAt.toISOString(),
  };
}
