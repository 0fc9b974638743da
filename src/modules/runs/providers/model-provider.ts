import type { ModelSpec, RunConfig, ToolSpec } from '../run-config';

/** A tool call the model asked for; `arguments` is the raw JSON text it produced. */
export interface ToolCallRequest {
  id: string;
  name: string;
  arguments: string;
}

/** A conversation message, in the chat completions shape. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string | null;
  tool_calls?: ToolCallRequest[];
  tool_call_id?: string;
}

export interface ModelUsage {
  prompt_tokens: number;
  completion_tokens: number;
}

/** One model answer: its text, the tools it wants run, and what it cost. */
export interface ModelTurn {
  content: string;
  toolCalls: ToolCallRequest[];
  usage: ModelUsage;
  finishReason: string | null;
}

export interface ModelCall {
  model: ModelSpec;
  run: RunConfig;
  messages: ChatMessage[];
  tools: ToolSpec[];
  /** Aborted on cancel: the provider must drop the upstream request. */
  signal: AbortSignal;
  /** Each piece of streamed text, as it arrives. */
  onDelta(text: string): void;
}

/** A model failure with a reason fit for `run_failed`. */
export class ModelError extends Error {}

export interface ModelProvider {
  complete(call: ModelCall): Promise<ModelTurn>;
}

/** Rough token count for providers that report no usage: about one token per four characters. */
export function estimateTokens(text: string): number {
  return text.length === 0 ? 0 : Math.max(1, Math.ceil(text.length / 4));
}
