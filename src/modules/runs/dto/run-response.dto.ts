import { ApiProperty } from '@nestjs/swagger';
import { RUN_STATUSES, RunEntity, RunStatus } from '../run.entity';
import type { RunStepEntity } from '../run-step.entity';
import type { RunEvent } from '../run-events.repository';

/** Tokens, duration (seconds) and steps of a run. */
/**
 * What this run spent: a run forked or restored as a new run counts from zero (the steps before
 * its checkpoint are its parent's); one resumed or restored in place keeps counting, the calls
 * of a path it left behind included. Summed over runs, they are what was spent.
 */
export class RunMetricsDto {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  /** Seconds of execution, pauses excluded. */
  duration: number;
  /** Model calls made (a step is one call and the tools it asked for). */
  steps: number;
}

export class RunResponseDto {
  id: string;
  agent_id: string;
  agent_version: number;
  /** The label the run was started with, if any. */
  agent_label: string | null;
  user_id: string | null;
  session_id: string;
  @ApiProperty({ enum: RUN_STATUSES })
  status: RunStatus;
  input_query: string;
  response_content: string | null;
  /** Why the run failed, if it did. */
  error: string | null;
  metrics: RunMetricsDto;
  parent_run_id: string | null;
  forked_from_checkpoint_id: string | null;
  created_at: string;
  updated_at: string;
}

/** One step: a model call and the tool calls it asked for. */
export class RunStepDto {
  step_num: number;
  type: string;
  /** The messages sent to the model. */
  messages: Record<string, unknown>[];
  model_response: Record<string, unknown> | null;
  tool_calls: Record<string, unknown>[];
  metrics: Record<string, number>;
}

export class RunDetailResponseDto extends RunResponseDto {
  steps: RunStepDto[];
}

export class RunListResponseDto {
  total: number;
  limit: number;
  offset: number;
  items: RunResponseDto[];
}

export class RunEventDto {
  seq: number;
  type: string;
  timestamp: string;
  data: Record<string, unknown>;
}

export class RunEventListResponseDto {
  run_id: string;
  total: number;
  events: RunEventDto[];
}

/** The answer to pause, resume and cancel. */
export class RunControlResponseDto {
  run_id: string;
  @ApiProperty({ enum: RUN_STATUSES })
  status: RunStatus;
  message: string;
}

export function toRunResponse(run: RunEntity): RunResponseDto {
  return {
    id: run.id,
    agent_id: run.agentId,
    agent_version: run.agentVersion,
    agent_label: run.agentLabel,
    user_id: run.userId,
    session_id: run.sessionId,
    status: run.status,
    input_query: run.inputQuery,
    response_content: run.responseContent,
    error: run.error,
    metrics: {
      prompt_tokens: 0,
      completion_tokens: 0,
      total_tokens: 0,
      duration: 0,
      steps: 0,
      ...run.metrics,
    },
    parent_run_id: run.parentRunId,
    forked_from_checkpoint_id: run.forkedFromCheckpointId,
    created_at: run.createdAt.toISOString(),
    updated_at: run.updatedAt.toISOString(),
  };
}

export function toRunStep(step: RunStepEntity): RunStepDto {
  return {
    step_num: step.stepNum,
    type: step.type,
    messages: step.messages as Record<string, unknown>[],
    model_response: step.modelResponse,
    tool_calls: step.toolCalls as Record<string, unknown>[],
    metrics: step.metrics,
  };
}

export function toRunEventDto(event: RunEvent): RunEventDto {
  return { seq: event.seq, type: event.type, timestamp: event.timestamp, data: event.data };
}
