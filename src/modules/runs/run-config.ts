/**
 * The configuration a run executes, normalised from the resolved agent configuration. The model
 * may be inline on the agent (`{provider, model, base_url, …}`) or a model component expanded by
 * the resolved config (same field names); tools may be built-in names or expanded tool components.
 */

export interface ModelSpec {
  provider: string;
  model: string;
  base_url?: string;
  api_key?: string;
  temperature?: number;
  max_tokens?: number;
  timeout_ms?: number;
  /** `scripted`: the replies, in order (a string, or `{content, tool_calls, delay_ms, error}`). */
  replies?: unknown[];
  /** `scripted`: pause between streamed tokens, in ms. */
  token_delay_ms?: number;
}

export type ToolRunnerSpec =
  | { type: 'builtin'; name: string }
  | {
      type: 'http';
      url: string;
      method: string;
      headers: Record<string, string>;
      timeout_ms: number;
      max_response_bytes: number;
    };

export interface ToolSpec {
  name: string;
  description: string;
  parameters: Record<string, unknown>;
  runner: ToolRunnerSpec;
}

/**
 * A knowledge component's `http_retrieval`: an endpoint asked for the documents relevant to the
 * run's query (see `retrieveKnowledge`). The component schema has no method or size cap, so the
 * method is always POST and the cap is fixed.
 */
export interface RetrievalSpec {
  url: string;
  method: 'POST';
  headers: Record<string, string>;
  top_k: number;
  timeout_ms: number;
  max_response_bytes: number;
}

export interface RunConfig {
  systemPrompt: string | null;
  /** Static knowledge documents (a knowledge component), appended to the system prompt. */
  knowledge: string | null;
  /** Knowledge retrieved per query (a knowledge component's `http_retrieval`), added beside it. */
  retrieval: RetrievalSpec | null;
  /** Most earlier session messages a run sees (a memory component's session window). */
  historyMessages: number;
  model: ModelSpec | null;
  tools: ToolSpec[];
  maxSteps: number;
  temperature?: number;
  topP?: number;
  maxTokens?: number;
}

export const DEFAULT_MAX_STEPS = 10;
/** Session messages a run sees when no memory component sets a window. */
export const DEFAULT_HISTORY_MESSAGES = 40;
const HTTP_TOOL_TIMEOUT_MS = 10_000;
const HTTP_TOOL_MAX_BYTES = 64 * 1024;
export const RETRIEVAL_TOP_K = 5;
const RETRIEVAL_TIMEOUT_MS = 10_000;
/** Bounds what one retrieval can add to the system prompt (it is read whole into memory first). */
export const RETRIEVAL_MAX_BYTES = 256 * 1024;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The built-in tools, offered by name. */
export const BUILTIN_TOOLS: Readonly<Record<string, ToolSpec>> = {
  calculator: {
    name: 'calculator',
    description: 'Evaluates an arithmetic expression (+ - * / ^ %, parentheses) and returns the number',
    parameters: {
      type: 'object',
      properties: { expression: { type: 'string', minLength: 1, maxLength: 1000 } },
      required: ['expression'],
      additionalProperties: false,
    },
    runner: { type: 'builtin', name: 'calculator' },
  },
  current_time: {
    name: 'current_time',
    description: 'Returns the current date and time (ISO 8601, UTC, or in the given IANA time zone)',
    parameters: {
      type: 'object',
      properties: { timezone: { type: 'string', maxLength: 64 } },
      additionalProperties: false,
    },
    runner: { type: 'builtin', name: 'current_time' },
  },
};

function toModelSpec(value: unknown): ModelSpec | null {
  if (!isObject(value) || typeof value.provider !== 'string') return null;
  return {
    provider: value.provider,
    model: str(value.model) ?? 'default',
    base_url: str(value.base_url),
    api_key: str(value.api_key),
    temperature: num(value.temperature),
    max_tokens: num(value.max_tokens),
    timeout_ms: num(value.timeout_ms),
    replies: Array.isArray(value.replies) ? value.replies : undefined,
    token_delay_ms: num(value.token_delay_ms),
  };
}

/** The built-in tool of that name; names of Object's own members (`constructor`…) are none. */
function builtinTool(name: string): ToolSpec | undefined {
  return Object.hasOwn(BUILTIN_TOOLS, name) ? BUILTIN_TOOLS[name] : undefined;
}

function toRunner(name: string, value: unknown): ToolRunnerSpec | null {
  if (typeof value === 'string') return builtinTool(value) ? { type: 'builtin', name: value } : null;
  if (!isObject(value)) return builtinTool(name) ? { type: 'builtin', name } : null;
  const builtin = str(value.builtin) ?? (value.type === 'builtin' ? (str(value.name) ?? name) : undefined);
  if (builtin) return builtinTool(builtin) ? { type: 'builtin', name: builtin } : null;
  const http = isObject(value.http) ? value.http : value;
  const url = str(http.url);
  if (!url) return null;
  return {
    type: 'http',
    url,
    method: (str(http.method) ?? 'POST').toUpperCase(),
    headers: stringHeaders(http.headers),
    timeout_ms: num(http.timeout_ms) ?? HTTP_TOOL_TIMEOUT_MS,
    max_response_bytes: num(http.max_response_bytes) ?? HTTP_TOOL_MAX_BYTES,
  };
}

/** Header values given as plain strings; a masked secret (`{secret: "****abcd"}`) is left out. */
function stringHeaders(value: unknown): Record<string, string> {
  if (!isObject(value)) return {};
  return Object.fromEntries(
    Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
  );
}

function toRetrievalSpec(knowledge: unknown): RetrievalSpec | null {
  const spec = isObject(knowledge) && isObject(knowledge.http_retrieval) ? knowledge.http_retrieval : null;
  const url = spec && str(spec.url);
  if (!spec || !url) return null;
  const topK = num(spec.top_k);
  const timeout = num(spec.timeout_ms);
  return {
    url,
    method: 'POST',
    headers: stringHeaders(spec.headers),
    top_k: topK && topK >= 1 ? Math.floor(topK) : RETRIEVAL_TOP_K,
    timeout_ms: timeout && timeout > 0 ? timeout : RETRIEVAL_TIMEOUT_MS,
    max_response_bytes: RETRIEVAL_MAX_BYTES,
  };
}

function toToolSpec(value: unknown): ToolSpec | null {
  if (typeof value === 'string') return builtinTool(value) ?? null;
  if (!isObject(value) || typeof value.name !== 'string') return null;
  const runner = toRunner(value.name, value.runner ?? value.builtin ?? value.http ?? value);
  if (!runner) return null;
  const builtin = runner.type === 'builtin' ? builtinTool(runner.name) : undefined;
  return {
    name: value.name,
    description: str(value.description) ?? builtin?.description ?? value.name,
    parameters: isObject(value.parameters)
      ? value.parameters
      : (builtin?.parameters ?? { type: 'object', properties: {} }),
    runner,
  };
}

/** Normalises an agent configuration (as stored on a run) into what the loop needs. */
export function toRunConfig(config: Record<string, unknown>): RunConfig {
  const params = isObject(config.config) ? config.config : {};
  const tools = Array.isArray(config.tools) ? config.tools.map(toToolSpec) : [];
  const maxSteps = num(params.max_steps);
  const memory =
    isObject(config.memory) && isObject(config.memory.session_window) ? config.memory.session_window : {};
  const staticText =
    isObject(config.knowledge) && isObject(config.knowledge.static_text) ? config.knowledge.static_text : {};
  const documents = Array.isArray(staticText.documents) ? staticText.documents.filter(isObject) : [];
  return {
    systemPrompt: str(config.system_prompt) ?? null,
    knowledge: documents.length
      ? documents
          .map((doc) =>
            str(doc.title) ? `# ${String(doc.title)}\n${String(doc.content)}` : String(doc.content),
          )
          .join('\n\n')
      : null,
    retrieval: toRetrievalSpec(config.knowledge),
    historyMessages: num(memory.max_messages) ?? DEFAULT_HISTORY_MESSAGES,
    model: toModelSpec(config.model),
    // A tool name that is neither built in nor expanded is not offered to the model.
    tools: tools.filter((tool): tool is ToolSpec => tool !== null),
    maxSteps: maxSteps && maxSteps >= 1 ? Math.floor(maxSteps) : DEFAULT_MAX_STEPS,
    temperature: num(params.temperature),
    topP: num(params.top_p),
    maxTokens: num(params.max_tokens),
  };
}

/**
 * The configuration a run stored (secrets masked), with the secrets put back from `revealed`,
 * the same agent version resolved now with secrets in plain text. Nothing else is taken from it:
 * a run executes as it was admitted even when its components have changed since, and only a
 * secret, which no run stores, is read again (a rotated key is the new one). A secret goes back
 * only to the endpoint it was stored for: a model of the same provider and base URL, a tool of
 * the same name and URL, a knowledge retrieval of the same URL; anywhere else its mask stays.
 */
export function withSecretsFrom(
  stored: Record<string, unknown>,
  revealed: Record<string, unknown>,
): Record<string, unknown> {
  const result: Record<string, unknown> = { ...stored, model: modelKeyFrom(stored.model, revealed.model) };
  if (Array.isArray(stored.tools) && Array.isArray(revealed.tools)) {
    const byName = new Map(
      revealed.tools.filter(isObject).map((tool) => [tool.name, tool] as [unknown, Record<string, unknown>]),
    );
    result.tools = stored.tools.map((tool) => {
      const current = isObject(tool) ? byName.get(tool.name) : undefined;
      return isObject(tool) && current ? headersFrom(tool, current, 'http') : tool;
    });
  }
  if (isObject(stored.knowledge) && isObject(revealed.knowledge))
    result.knowledge = headersFrom(stored.knowledge, revealed.knowledge, 'http_retrieval');
  return result;
}

function modelKeyFrom(stored: unknown, revealed: unknown): unknown {
  if (!isObject(stored) || !isObject(revealed) || stored.api_key === undefined) return stored;
  const sameEndpoint = stored.provider === revealed.provider && stored.base_url === revealed.base_url;
  return sameEndpoint && typeof revealed.api_key === 'string'
    ? { ...stored, api_key: revealed.api_key }
    : stored;
}

/** The holder's masked headers (`{secret: "****abcd"}`) as `revealed` has them, for the same URL. */
function headersFrom(
  stored: Record<string, unknown>,
  revealed: Record<string, unknown>,
  holderKey: 'http' | 'http_retrieval',
): Record<string, unknown> {
  const holder = stored[holderKey];
  const current = revealed[holderKey];
  if (!isObject(holder) || !isObject(holder.headers) || !isObject(current) || !isObject(current.headers))
    return stored;
  if (holder.url !== current.url) return stored;
  const plain = current.headers;
  const headers = Object.fromEntries(
    Object.entries(holder.headers).map(([name, value]) => {
      const masked = isObject(value) && 'secret' in value;
      return [name, masked && typeof plain[name] === 'string' ? plain[name] : value];
    }),
  );
  return { ...stored, [holderKey]: { ...holder, headers } };
}
