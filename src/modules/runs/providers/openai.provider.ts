import OpenAI, { APIError, APIUserAbortError } from 'openai';
import type {
  ChatCompletionChunk,
  ChatCompletionMessageParam,
  ChatCompletionTool,
} from 'openai/resources/chat/completions';
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
import { httpFetch, nodeBodyOf } from './http-fetch';
import { SseParser } from './sse-parser';

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
    const onChunk = (chunk: ChatCompletionChunk) => {
      touch();
      if (chunk.usage) {
        usage = {
          prompt_tokens: chunk.usage.prompt_tokens ?? 0,
          completion_tokens: chunk.usage.completion_tokens ?? 0,
        };
      }
      const choice = chunk.choices?.[0];
      if (!choice) return;
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
    };
    try {
      // The SDK sends the request and turns an error status into its APIError; the streamed body
      // is read here (see readChunks).
      const response = await client.chat.completions
        .create(
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
        )
        .asResponse();
      await readChunks(response, onChunk);
    } catch (error) {
      call.signal.throwIfAborted();
      if (idle) throw timedOut();
      if (error instanceof APIUserAbortError || error instanceof ModelError) throw error;
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

/**
 * Reads a streamed chat completion's body: each `data:` message is a chunk, `[DONE]` ends it, a
 * message carrying `error` fails it (as the SDK's own stream reader does). The SDK's reader
 * copies every chunk's bytes through three async generators over a web stream; this one parses
 * the socket's text as it arrives, which costs a fraction per token (README, "Performance").
 */
function readChunks(response: Response, onChunk: (chunk: ChatCompletionChunk) => void): Promise<void> {
  const body = nodeBodyOf(response);
  if (!body) return Promise.reject(new ModelError('the model answer has no readable body'));
  return new Promise<void>((resolve, reject) => {
    // `[DONE]` seen, or the answer failed: what comes after is not read.
    let done = false;
    const fail = (error: Error) => {
      done = true;
      body.destroy();
      reject(error);
    };
    const parser = new SseParser((message) => {
      if (done) return;
      if (message.data.startsWith('[DONE]')) {
        done = true;
        return resolve();
      }
      let chunk: ChatCompletionChunk & { error?: { message?: string } };
      try {
        chunk = JSON.parse(message.data) as typeof chunk;
      } catch {
        return fail(
          new ModelError(`model server sent a chunk that is not JSON: ${message.data.slice(0, 200)}`),
        );
      }
      if (chunk?.error) {
        return fail(new ModelError(`model server answered an error: ${chunk.error.message ?? 'unknown'}`));
      }
      onChunk(chunk);
    });
    body.setEncoding('utf8');
    body.on('data', (text: string) => parser.push(text));
    body.on('end', () => resolve());
    body.on('error', (error) => (done ? resolve() : reject(error)));
    // Closed before its end without an error (the connection cut): a cut-off answer is not an answer.
    body.on('close', () =>
      done
        ? resolve()
        : reject(new ModelError('the model server closed the connection before the answer ended')),
    );
  });
}

function describe(error: unknown): string {
  if (error instanceof APIError) {
    return `model server answered ${error.status ?? 'an error'}: ${error.message}`;
  }
  return `model request failed: ${(error as Error).message}`;
}
