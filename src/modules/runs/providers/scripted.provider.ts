import { setTimeout as sleep } from 'node:timers/promises';
import {
  estimateTokens,
  ModelCall,
  ModelError,
  ModelProvider,
  ModelTurn,
  ToolCallRequest,
} from './model-provider';

interface ScriptedReply {
  content?: string;
  tool_calls?: Array<{ id?: string; name: string; arguments?: unknown }>;
  delay_ms?: number;
  error?: string;
}

function toReply(value: unknown): ScriptedReply {
  if (typeof value === 'string') return { content: value };
  return typeof value === 'object' && value !== null ? (value as ScriptedReply) : { content: String(value) };
}

/**
 * Replays the replies written in the model config, for demos and tests without a model server.
 * The reply used is the number of model calls since the last user message, so a run that is
 * paused, resumed or restored from a checkpoint gets the same answers as an uninterrupted one.
 */
export class ScriptedProvider implements ModelProvider {
  async complete(call: ModelCall): Promise<ModelTurn> {
    const replies = call.model.replies ?? [];
    if (replies.length === 0) throw new ModelError('the scripted model has no replies');
    const lastUser = call.messages.map((m) => m.role).lastIndexOf('user');
    const turn = call.messages.slice(lastUser + 1).filter((m) => m.role === 'assistant').length;
    const reply = toReply(replies[Math.min(turn, replies.length - 1)]);
    if (reply.delay_ms) await sleep(reply.delay_ms, undefined, { signal: call.signal });
    if (reply.error) throw new ModelError(reply.error);
    const content = reply.content ?? '';
    for (const token of content.match(/\s*\S+\s*/g) ?? (content ? [content] : [])) {
      call.signal.throwIfAborted();
      if (call.model.token_delay_ms)
        await sleep(call.model.token_delay_ms, undefined, { signal: call.signal });
      call.onDelta(token);
    }
    const toolCalls: ToolCallRequest[] = (reply.tool_calls ?? []).map((tool, index) => ({
      id: tool.id ?? `call_${turn + 1}_${index + 1}`,
      name: tool.name,
      arguments: typeof tool.arguments === 'string' ? tool.arguments : JSON.stringify(tool.arguments ?? {}),
    }));
    const prompt = call.messages.map((m) => m.content ?? '').join('\n');
    return {
      content,
      toolCalls,
      usage: { prompt_tokens: estimateTokens(prompt), completion_tokens: estimateTokens(content) },
      finishReason: toolCalls.length ? 'tool_calls' : 'stop',
    };
  }
}
