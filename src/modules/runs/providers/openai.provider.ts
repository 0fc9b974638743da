import { StringDecoder } from 'node:string_decoder';
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
import { httpFetch, nodeBodyOf } from './http-fetch';
import { SseParser } from './sse-parser';

const DEFAULT_TIMEOUT_MS = 120_000;
const MAX_CLIENTS = 500;
/**
 * Most bytes one model answer may stream, its framing included. A streamed token costs some 250
 * bytes on the wire (each chunk repeats the answer's id, model and fingerprint), so this lets an
 * answer run to about 130k tokens, past the largest output limits models have. It bounds the time
 * and memory (a line waits whole in the parser) a broken or hostile server can take from one call;
 * past it the call fails and its connection closes.
 */
export const MAX_ANSWER_BYTES = 32 * 1024 ** 2;

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
    let promptTokens: number | undefined;
    let completionTokens: number | undefined;
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
    // Re-armed in place with each piece of the body, keep-alive comments and half lines included:
    // no new timer per streamed token.
    const touch = () => timer.refresh();
    const onChunk = (chunk: unknown) => {
      const part = chunkParts(chunk);
      if (part.promptTokens !== undefined) promptTokens = part.promptTokens;
      if (part.completionTokens !== undefined) completionTokens = part.completionTokens;
      if (part.finishReason) finishReason = part.finishReason;
      if (part.content) {
        chunks++;
        content += part.content;
        call.onDelta(part.content);
      }
      for (const delta of part.toolCalls) {
        const current = calls.get(delta.index) ?? { id: '', name: '', arguments: '' };
        // As the SDK's own stream accumulates them: a name or id replaces the one before (servers
        // that repeat the name in every chunk), arguments are appended.
        if (delta.id) current.id = delta.id;
        if (delta.name) current.name = delta.name;
        if (delta.arguments) current.arguments += delta.arguments;
        calls.set(delta.index, current);
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
      await readChunks(response, onChunk, touch);
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
      usage: {
        prompt_tokens: promptTokens ?? estimateTokens(call.messages.map((m) => m.content ?? '').join('\n')),
        completion_tokens: completionTokens ?? chunks,
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

/** What one chunk adds to the answer, its shape checked. */
interface ChunkParts {
  content?: string;
  finishReason?: string;
  promptTokens?: number;
  completionTokens?: number;
  toolCalls: Array<{ index: number; id?: string; name?: string; arguments?: string }>;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `value` when it is a string, nothing when null or absent (servers send both); throws otherwise. */
function optionalString(value: unknown, what: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new Error(`${what} is not a string`);
  return value;
}

/**
 * A token count the server reported, kept only when it is a non-negative safe integer. Anything
 * else (a string, a fraction, 1.5e300, a negative) counts as not reported and the call falls back
 * to its estimate, rather than being clamped: such a number says the server's count is not to be
 * trusted, and a clamped one would be a made-up cost. Passed on, it would fail the run's settle
 * statement (a bigint column) or the token counters (which cannot decrease).
 */
function tokenCount(value: unknown): number | undefined {
  return Number.isSafeInteger(value) && (value as number) >= 0 ? (value as number) : undefined;
}

/**
 * Reads one chunk of the chat completions stream. Null or absent fields are absent (servers send
 * `"content": null`, `"usage": null`); a field of another type than the chunk format has fails the
 * call, as a half-understood answer would be stored as if it were the model's. Only `usage`, which
 * says what the answer cost rather than what it is, is ignored when malformed.
 */
function chunkParts(chunk: unknown): ChunkParts {
  if (!isObject(chunk)) {
    const kind = chunk === null ? 'null' : Array.isArray(chunk) ? 'an array' : `a ${typeof chunk}`;
    throw new Error(`the chunk is ${kind}, not an object`);
  }
  const parts: ChunkParts = { toolCalls: [] };
  if (isObject(chunk.usage)) {
    parts.promptTokens = tokenCount(chunk.usage.prompt_tokens);
    parts.completionTokens = tokenCount(chunk.usage.completion_tokens);
  }
  const { choices } = chunk;
  if (choices === undefined || choices === null) return parts;
  if (!Array.isArray(choices)) throw new Error('choices is not an array');
  const choice: unknown = choices[0];
  if (choice === undefined) return parts;
  if (!isObject(choice)) throw new Error('choices[0] is not an object');
  if (typeof choice.finish_reason === 'string') parts.finishReason = choice.finish_reason;
  const { delta } = choice;
  if (delta === undefined || delta === null) return parts;
  if (!isObject(delta)) throw new Error('choices[0].delta is not an object');
  parts.content = optionalString(delta.content, 'choices[0].delta.content');
  const toolCalls = delta.tool_calls;
  if (toolCalls === undefined || toolCalls === null) return parts;
  if (!Array.isArray(toolCalls)) throw new Error('choices[0].delta.tool_calls is not an array');
  toolCalls.forEach((entry: unknown, position) => {
    const where = `choices[0].delta.tool_calls[${position}]`;
    if (!isObject(entry)) throw new Error(`${where} is not an object`);
    // A server that sends each call whole in one chunk may leave out its index: its place is one.
    const index = entry.index ?? position;
    if (!Number.isSafeInteger(index) || (index as number) < 0) {
      throw new Error(`${where}.index is not a non-negative integer`);
    }
    const fn = entry.function;
    if (fn !== undefined && fn !== null && !isObject(fn)) {
      throw new Error(`${where}.function is not an object`);
    }
    parts.toolCalls.push({
      index: index as number,
      id: optionalString(entry.id, `${where}.id`),
      name: optionalString(fn?.name, `${where}.function.name`),
      arguments: optionalString(fn?.arguments, `${where}.function.arguments`),
    });
  });
  return parts;
}

/** The media type of a content-type header, lower case and without its parameters. */
function mediaType(header: string): string {
  return header.split(';')[0].trim().toLowerCase();
}

/**
 * Reads a streamed chat completion's body: each `data:` message is a chunk, `[DONE]` ends it, a
 * message carrying `error` fails it (as the SDK's own stream reader does). The SDK's reader
 * copies every chunk's bytes through three async generators over a web stream; this one parses
 * the socket's text as it arrives, which costs a fraction per token (README, "Performance").
 *
 * An answer that is not an event stream (a server that ignored `stream`, a proxy's HTML page) or
 * that ends before any chunk is not an empty answer: it fails. One that ends after chunks without
 * `[DONE]` is taken as it is, as some servers never send it. `onBytes` hears of every piece of
 * the body, whether or not it completes a chunk; past MAX_ANSWER_BYTES the answer fails.
 */
function readChunks(
  response: Response,
  onChunk: (chunk: unknown) => void,
  onBytes: () => void,
): Promise<void> {
  const body = nodeBodyOf(response);
  if (!body) return Promise.reject(new ModelError('the model answer has no readable body'));
  const type = response.headers.get('content-type');
  if (type !== null && mediaType(type) !== 'text/event-stream') {
    body.destroy();
    return Promise.reject(
      new ModelError(`the model server answered ${mediaType(type)}, not an event stream`),
    );
  }
  return new Promise<void>((resolve, reject) => {
    // `[DONE]` seen, or the answer failed: what comes after is not read.
    let done = false;
    let received = 0;
    let chunks = 0;
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
      let chunk: unknown;
      try {
        chunk = JSON.parse(message.data);
      } catch {
        return fail(
          new ModelError(`model server sent a chunk that is not JSON: ${message.data.slice(0, 200)}`),
        );
      }
      chunks++;
      if (isObject(chunk) && chunk.error) {
        const reason = isObject(chunk.error) ? chunk.error.message : undefined;
        return fail(
          new ModelError(
            `model server answered an error: ${typeof reason === 'string' ? reason : 'unknown'}`,
          ),
        );
      }
      onChunk(chunk);
    });
    const decoder = new StringDecoder('utf8');
    // Everything that handles the answer runs inside this listener: an exception escaping it
    // would be nobody's to catch and would end the process, so it fails this call instead.
    body.on('data', (bytes: Buffer) => {
      if (done) return;
      try {
        onBytes();
        received += bytes.length;
        if (received > MAX_ANSWER_BYTES) {
          return fail(new ModelError(`the model answer is over ${MAX_ANSWER_BYTES} bytes`));
        }
        parser.push(decoder.write(bytes));
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        fail(new ModelError(`model server sent an invalid chunk: ${reason}`));
      }
    });
    body.on('end', () =>
      chunks > 0 || done
        ? resolve()
        : reject(new ModelError("the model server's answer ended before any chunk")),
    );
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
