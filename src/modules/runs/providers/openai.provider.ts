import OpenAI, { APIError, APIUserAbortError } from 'openai';
import type { ChatCompletionMessageParam, ChatCompletionTool } from 'openai/resources/chat/completions';
import type { ModelSpec } from '../run-config';
import {
  ChatMessage,
  estimateTokens,
  ModelCall,
  ModelError,
  ModelProvider,
  ModelTurn,
  ToolCallRequest,
} from './model-provider';
import { httpFetch } from './http-fetch';

const DEFAULT_TIMEOUT_MS = 120_000;
const MAX_CLIENTS = 500;

function toOpenAiMessage(message: ChatMessage): ChatCompletionMessageParam {
  if (message.role === 'tool') {
    return { role: 'tool', tool_call_id: message.tool_call_id ?? '', content: message.content ?? '' };
  }
  if (message.role === 'assistant' && message.tool_calls?.length) {
    return {
      role: 'assistant',
      content: message.content || null,
      tool_calls: message.tool_calls.map((call) => ({
        id: call.id,
        type: 'function' as const,
        function: { name: call.name, arguments: call.arguments },
      })),
    };
  }
  return { role: message.role, content: message.content ?? '' } as ChatCompletionMessageParam;
}

/**
 * OpenAI-compatible chat completions (OpenAI, Azure, vLLM, Ollama, llama.cpp …) through the
 * official SDK: streamed text and tool calls, usage from the final chunk, and the request aborted
 * with the run's signal, which closes the upstream connection.
 */
export class OpenAiProvider implements ModelProvider {
  private readonly clients = new Map<string, OpenAI>();

  async complete(call: ModelCall): Promise<ModelTurn> {
    call.signal.throwIfAborted();
    const spec = call.model;
    const client = this.client(spec);
    const tools: ChatCompletionTool[] = call.tools.map((tool) => ({
      type: 'function',
      function: { name: tool.name, description: tool.description, parameters: tool.parameters },
    }));
    let content = '';
    const calls = new Map<number, ToolCallRequest>();
    let usage: ModelTurn['usage'] | undefined;
    let finishReason: string | null = null;
    let chunks = 0;
    const timeoutMs = spec.timeout_ms ?? DEFAULT_TIMEOUT_MS;
    // One controller for the SDK, aborted by the run's cancel or by an idle timeout (no byte from
    // the model for timeout_ms, even mid-stream). Not AbortSignal.any: the SDK leaves its listener
    // on the signal it is given, and on Node 20 a composite signal with a listener is never freed.
    const abort = new AbortController();
    let idle = false;
    const expire = () => {
      idle = true;
      abort.abort();
    };
    const timedOut = () => new ModelError(`model request timed out after ${timeoutMs} ms without data`);
    const cancel = () => abort.abort(call.signal.reason);
    call.signal.addEventListener('abort', cancel, { once: true });
    const timer = setTimeout(expire, timeoutMs);
    // Re-armed in place with each chunk: no new timer per streamed token.
    const touch = () => timer.refresh();
    try {
      const stream = await client.chat.completions.create(
        {
          model: spec.model,
          messages: call.messages.map(toOpenAiMessage),
          stream: true,
          stream_options: { include_usage: true },
          ...(tools.length ? { tools } : {}),
          ...((spec.temperature ?? call.run.temperature) !== undefined
            ? { temperature: spec.temperature ?? call.run.temperature }
            : {}),
          ...(call.run.topP !== undefined ? { top_p: call.run.topP } : {}),
          ...((spec.max_tokens ?? call.run.maxTokens) !== undefined
            ? { max_tokens: spec.max_tokens ?? call.run.maxTokens }
            : {}),
        },
        { signal: abort.signal },
      );
      for await (const chunk of stream) {
        touch();
        if (chunk.usage) {
          usage = {
            prompt_tokens: chunk.usage.prompt_tokens ?? 0,
            completion_tokens: chunk.usage.completion_tokens ?? 0,
          };
        }
        const choice = chunk.choices?.[0];
        if (!choice) continue;
        if (choice.finish_reason) finishReason = choice.finish_reason;
        const delta = choice.delta;
        if (delta?.content) {
          chunks++;
          content += delta.content;
          call.onDelta(delta.content);
        }
        for (const part of delta?.tool_calls ?? []) {
          const current = calls.get(part.index) ?? { id: '', name: '', arguments: '' };
          if (part.id) current.id = part.id;
          if (part.function?.name) current.name += part.function.name;
          if (part.function?.arguments) current.arguments += part.function.arguments;
          calls.set(part.index, current);
        }
      }
      // The SDK ends the iteration quietly when its signal aborts: a cut-off answer is not an answer.
      call.signal.throwIfAborted();
      if (idle) throw timedOut();
    } catch (error) {
      call.signal.throwIfAborted();
      if (idle) throw timedOut();
      if (error instanceof APIUserAbortError) throw error;
      throw new ModelError(describe(error));
    } finally {
      clearTimeout(timer);
      call.signal.removeEventListener('abort', cancel);
    }
    const toolCalls = [...calls.entries()]
      .sort(([a], [b]) => a - b)
      .map(([index, tool]) => ({ ...tool, id: tool.id || `call_${index}` }));
    return {
      content,
      toolCalls,
      usage: usage ?? {
        prompt_tokens: estimateTokens(call.messages.map((m) => m.content ?? '').join('\n')),
        completion_tokens: chunks,
      },
      finishReason,
    };
  }

  private client(spec: ModelSpec): OpenAI {
    const key = `${spec.base_url ?? ''}|${spec.api_key ?? ''}`;
    let client = this.clients.get(key);
    if (!client) {
      client = new OpenAI({
        baseURL: spec.base_url,
        // Local OpenAI-compatible servers need no key, but the SDK insists on one.
        apiKey: spec.api_key ?? 'not-needed',
        // The idle timeout above governs; this only bounds a request that never ends.
        timeout: 24 * 3_600_000,
        // A retry would replay a half-streamed answer; the run fails with the reason instead.
        maxRetries: 0,
        fetch: httpFetch,
      });
      // One client per endpoint and key; the oldest goes when tenants have configured very many.
      if (this.clients.size >= MAX_CLIENTS) this.clients.delete(this.clients.keys().next().value!);
      this.clients.set(key, client);
    }
    return client;
  }
}

function describe(error: unknown): string {
  if (error instanceof APIError) {
    return `model server answered ${error.status ?? 'an error'}: ${error.message}`;
  }
  return `model request failed: ${(error as Error).message}`;
}
