import type { CheckpointEntity } from '../checkpoint.entity';

export class CheckpointSummaryDto {
  id: string;
  step_num: number;
  description: string | null;
  tags: string[];
  created_at: string;
  message_count: number;
  total_tokens: number;
}

export class CheckpointListResponseDto {
  run_id: string;
  total: number;
  checkpoints: CheckpointSummaryDto[];
}

export class CheckpointResponseDto {
  id: string;
  run_id: string;
  step_num: number;
  /** The run's status when the checkpoint was taken. */
  status: string;
  messages: Record<string, unknown>[];
  metrics: Record<string, number>;
  /** The agent configuration in force. */
  agent_config: Record<string, unknown>;
  description: string | null;
  tags: string[];
  created_at: string;
}

export function toCheckpointSummary(checkpoint: CheckpointEntity): CheckpointSummaryDto {
  return {
    id: checkpoint.id,
    step_num: checkpoint.stepNum,
    description: checkpoint.description,
    tags: checkpoint.tags,
    created_at: checkpoint.createdAt.toISOString(),
    message_count: checkpoint.messages.length,
    total_tokens: checkpoint.metrics.total_tokens ?? 0,
  };
}

export function toCheckpointResponse(checkpoint: CheckpointEntity): CheckpointResponseDto {
  return {
    id: checkpoint.id,
    run_id: checkpoint.runId,
    step_num: checkpoint.stepNum,
    status: checkpoint.status,
    messages: checkpoint.messages as Record<string, unknown>[],
    metrics: checkpoint.metrics,
    agent_config: checkpoint.agentConfig,
    description: checkpoint.description,
    tags: checkpoint.tags,
    created_at: checkpoint.createdAt.toISOString(),
  };
}
