import { ModelError } from '../providers/model-provider';
import type { ChatMessage } from '../providers/model-provider';
import type { RetrievalSpec, RunConfig } from '../run-config';
import { Resolver, safeRequest } from '../tools/safe-request';

export interface KnowledgeOptions {
  /** Hosts that may resolve to private addresses (settings `HTTP_TOOL_ALLOW_HOSTS`, shared with tools). */
  allowHosts: readonly string[];
  /** How host names are resolved (the system resolver unless a test simulates DNS). */
  resolve?: Resolver;
}

/**
 * A retrieval that gave nothing usable. It fails the run (`run_failed` with this message), like a
 * model error: an agent configured to answer from its knowledge would otherwise answer without it,
 * confidently and unnoticed, and a misconfigured endpoint would never be seen.
 */
export class KnowledgeRetrievalError extends ModelError {
  constructor(reason: string) {
    super(`knowledge retrieval failed: ${reason}`);
  }
}

interface RetrievedDocument {
  content: string;
  title?: string;
}

/** The documents of an answer, or null when it is not `{documents: [...]}`. */
function documentsOf(body: string): RetrievedDocument[] | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return null;
  }
  const documents = (parsed as { documents?: unknown } | null)?.documents;
  if (!Array.isArray(documents)) return null;
  return documents.flatMap((item: unknown): RetrievedDocument[] => {
    if (typeof item === 'string') return item ? [{ content: item }] : [];
    const doc = item as { content?: unknown; title?: unknown } | null;
    if (typeof doc?.content !== 'string' || doc.content === '') return [];
    return [
      { content: doc.content, ...(typeof doc.title === 'string' && doc.title ? { title: doc.title } : {}) },
    ];
  });
}

/**
 * Asks a knowledge component's retrieval endpoint for the documents relevant to `query` and
 * returns them as text for the model's context (null when it found none).
 *
 * Request: `POST <url>` with the component's headers and the JSON body `{"query": "…", "top_k": 5}`.
 * Answer: `200` with JSON `{"documents": [{"content": "…", "title": "…"}, …]}`, most relevant
 * first (a document may also be a plain string; other fields, such as a score, are ignored). The
 * first `top_k` documents with content are kept and written like static documents: `# title`,
 * a newline and the content, separated by blank lines.
 *
 * The call goes through `safeRequest`, as HTTP tools do: private, loopback and link-local
 * addresses refused unless the host is allow-listed (checked on the address connected to),
 * no redirects, the component's `timeout_ms` (10 s by default) over the whole exchange and a
 * 256 KiB cap on the answer. Any failure (refused, timeout, too large, non-2xx, another shape)
 * throws a `KnowledgeRetrievalError`, which fails the run with its reason; when `signal` aborts
 * (the run is cancelled or stopped) its reason is thrown instead, so nothing hangs.
 */
export async function retrieveKnowledge(
  spec: RetrievalSpec,
  query: string,
  signal: AbortSignal,
  options: KnowledgeOptions,
): Promise<string | null> {
  let response;
  try {
    response = await safeRequest(spec.url, {
      method: spec.method,
      headers: { Accept: 'application/json', ...spec.headers, 'Content-Type': 'application/json' },
      body: JSON.stringify({ query, top_k: spec.top_k }),
      timeoutMs: spec.timeout_ms,
      maxResponseBytes: spec.max_response_bytes,
      signal,
      allowHosts: options.allowHosts,
      resolve: options.resolve,
    });
  } catch (error) {
    if (signal.aborted) throw error;
    throw new KnowledgeRetrievalError((error as Error).message);
  }
  if (response.status < 200 || response.status >= 300)
    throw new KnowledgeRetrievalError(`the endpoint answered ${response.status}`);
  const documents = documentsOf(response.body);
  if (!documents)
    throw new KnowledgeRetrievalError('the answer is not JSON of the form {"documents": [...]}');
  const kept = documents.slice(0, spec.top_k);
  if (kept.length === 0) return null;
  return kept.map((doc) => (doc.title ? `# ${doc.title}\n${doc.content}` : doc.content)).join('\n\n');
}

/** Retrievals of one execution (its abort signal), by query: a run's steps ask once per query. */
const retrievals = new WeakMap<AbortSignal, Map<string, Promise<string | null>>>();

/**
 * The knowledge a model call sees: the static documents, then what the retrieval endpoint returns
 * for the conversation's current user query (the last user message). Retrieved once per query for
 * an execution (keyed by its abort signal), so the steps of a run do not ask again; a resumed or
 * restored run retrieves anew. Throws as `retrieveKnowledge` does.
 */
export async function knowledgeFor(
  config: RunConfig,
  messages: readonly ChatMessage[],
  signal: AbortSignal,
  options: KnowledgeOptions,
): Promise<string | null> {
  const query = [...messages].reverse().find((m) => m.role === 'user')?.content ?? '';
  if (!config.retrieval || query.trim() === '') return config.knowledge;
  let byQuery = retrievals.get(signal);
  if (!byQuery) retrievals.set(signal, (byQuery = new Map()));
  let retrieval = byQuery.get(query);
  if (!retrieval) {
    retrieval = retrieveKnowledge(config.retrieval, query, signal, options);
    byQuery.set(query, retrieval);
  }
  const retrieved = await retrieval;
  return [config.knowledge, retrieved].filter(Boolean).join('\n\n') || null;
}
