import { readCacheFile, writeCacheFile } from './config-cache-file';
import { readSse } from './sse-reader';
import type { ChangeEvent, ConfigChange, ResolvedAgentEntry, ResolvedConfig, SyncedAgent } from './types';

export interface ConfigSyncOptions {
  /** Agentry's base URL, e.g. `http://agentry:3000`. */
  baseUrl: string;
  /** A service API key (`service` role). */
  apiKey: string;
  /** With a platform service key: the tenant to follow (id or slug), sent as `X-Tenant-Id`. */
  tenant?: string;
  /** Where the last known configurations are kept, so a restart works while Agentry is down. */
  cacheFile?: string;
  /** `stream` (default) follows the change stream; `poll` checks the config version on an interval. */
  mode?: 'stream' | 'poll';
  /** Poll interval in `poll` mode (default 5000 ms). */
  pollIntervalMs?: number;
  /** Reconnect backoff of the stream: first delay and cap (default 250 ms and 10 s). */
  backoff?: { initialMs?: number; maxMs?: number };
  /** Reports errors that ConfigSync recovers from on its own (failed reconnects, polls, writes). */
  onError?: (error: Error) => void;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Keeps an execution service's copy of its tenant's agent configurations current.
 *
 * `start()` pulls everything (or, when Agentry is unreachable, loads the cache file), then follows
 * the change stream, reconnecting with `Last-Event-ID` and backoff, or polls the config version.
 * `get()` answers from memory. Each change refreshes the agent it names and rewrites the cache
 * file atomically.
 */
export class ConfigSync {
  private readonly agents = new Map<string, SyncedAgent>();
  private readonly byName = new Map<string, string>();
  private readonly listeners = new Set<(change: ConfigChange) => void>();
  private readonly abort = new AbortController();
  private sequence = 0;
  private loop?: Promise<void>;
  private source: 'server' | 'cache' | 'none' = 'none';
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly options: ConfigSyncOptions) {}

  /** The change sequence the held configurations are at. */
  get version(): number {
    return this.sequence;
  }

  /** Where the configurations came from at start: the server, or the cache file. */
  get startedFrom(): 'server' | 'cache' | 'none' {
    return this.source;
  }

  async start(): Promise<void> {
    try {
      await this.pullAll();
      this.source = 'server';
    } catch (error) {
      const cached = this.options.cacheFile ? await readCacheFile(this.options.cacheFile) : null;
      if (!cached) throw error;
      this.replaceAll(cached.agents, cached.version);
      this.source = 'cache';
      this.report(error);
    }
    this.loop = this.options.mode === 'poll' ? this.pollLoop() : this.streamLoop();
  }

  /** The configuration of an agent (id or name) at a label (`latest` by default). */
  get(agent: string, label = 'latest'): ResolvedConfig | undefined {
    const id = this.agents.has(agent) ? agent : this.byName.get(agent);
    return id ? this.agents.get(id)?.configs[label] : undefined;
  }

  /** Every agent held, by name. */
  list(): SyncedAgent[] {
    return [...this.agents.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Called after each applied change; returns a function that unsubscribes. */
  onChange(listener: (change: ConfigChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop?.catch(() => undefined);
    await this.writing;
  }

  private async streamLoop(): Promise<void> {
    const initial = this.options.backoff?.initialMs ?? 250;
    const max = this.options.backoff?.maxMs ?? 10_000;
    let delay = initial;
    while (!this.abort.signal.aborted) {
      try {
        const res = await this.request('/internal/v1/changes/stream', {
          Accept: 'text/event-stream',
          'Last-Event-ID': String(this.sequence),
        });
        delay = initial;
        for await (const message of readSse(res.body as ReadableStream<Uint8Array>, this.abort.signal)) {
          await this.apply(JSON.parse(message.data) as ChangeEvent, 'stream');
        }
      } catch (error) {
        if (this.abort.signal.aborted) return;
        if (error instanceof HttpError && error.status === 410) {
          // The server no longer keeps changes that far back: start over from a full pull, and
          // reconnect after the usual pause, so a refusal that repeats is not a busy loop.
          await this.pullAll().catch((pullError: Error) => this.report(pullError));
        } else this.report(error);
      }
      await this.sleep(delay);
      delay = Math.min(delay * 2, max);
    }
  }

  private async pollLoop(): Promise<void> {
    const interval = this.options.pollIntervalMs ?? 5_000;
    while (!this.abort.signal.aborted) {
      await this.sleep(interval);
      if (this.abort.signal.aborted) return;
      try {
        const res = await this.request('/internal/v1/config/version');
        const { version } = (await res.json()) as { version: number };
        if (version !== this.sequence) {
          await this.pullAll();
          this.emit({ version: this.sequence, source: 'poll' });
        }
      } catch (error) {
        this.report(error);
      }
    }
  }

  /** Re-reads everything: the snapshot of latest configurations, then each label that points elsewhere. */
  private async pullAll(): Promise<void> {
    const res = await this.request('/internal/v1/config/all');
    const snapshot = (await res.json()) as { version: number; agents: ResolvedAgentEntry[] };
    const agents: SyncedAgent[] = [];
    for (const entry of snapshot.agents) {
      const { labels, ...latest } = entry;
      const synced: SyncedAgent = {
        agent_id: entry.agent_id,
        name: entry.name,
        labels,
        configs: { latest: { ...latest, label: 'latest' } },
      };
      for (const [label, version] of Object.entries(labels)) {
        synced.configs[label] =
          version === entry.version ? { ...latest, label } : await this.fetchConfig(entry.agent_id, label);
      }
      agents.push(synced);
    }
    this.replaceAll(agents, snapshot.version);
    this.persist();
  }

  private async apply(event: ChangeEvent, source: 'stream'): Promise<void> {
    if (event.id <= this.sequence) return;
    if (event.resource_type === 'agent') await this.refreshAgent(event.resource_id, event.payload);
    else {
      // Changes of other resources (components, templates) name the agents they affect.
      const affected = event.payload.agents;
      if (Array.isArray(affected))
        for (const id of affected) if (typeof id === 'string') await this.refreshAgent(id, {});
    }
    this.sequence = event.id;
    this.persist();
    this.emit({
      event,
      agent_id: event.resource_id,
      name: event.payload.name as string | undefined,
      version: event.id,
      source,
    });
  }

  /** Reads an agent's latest configuration and each of its labels again; drops it when it is gone. */
  private async refreshAgent(agentId: string, payload: Record<string, unknown>): Promise<void> {
    let latest: ResolvedConfig;
    try {
      latest = await this.fetchConfig(agentId, 'latest');
    } catch (error) {
      if (error instanceof HttpError && error.status === 404) {
        this.removeAgent(agentId);
        return;
      }
      throw error;
    }
    const previous = this.agents.get(agentId);
    const labels = new Set(Object.keys(previous?.labels ?? {}));
    if (typeof payload.label === 'string') labels.add(payload.label);
    const synced: SyncedAgent = { agent_id: agentId, name: latest.name, labels: {}, configs: { latest } };
    for (const label of labels) {
      try {
        const config = await this.fetchConfig(agentId, label);
        synced.configs[label] = config;
        synced.labels[label] = config.version;
      } catch (error) {
        if (!(error instanceof HttpError && error.code === 'LABEL_NOT_FOUND')) throw error;
      }
    }
    this.removeAgent(agentId);
    this.agents.set(agentId, synced);
    this.byName.set(synced.name, agentId);
  }

  private async fetchConfig(agentId: string, label: string): Promise<ResolvedConfig> {
    const res = await this.request(
      `/internal/v1/agents/${encodeURIComponent(agentId)}/config?label=${encodeURIComponent(label)}`,
    );
    return (await res.json()) as ResolvedConfig;
  }

  private replaceAll(agents: SyncedAgent[], version: number): void {
    this.agents.clear();
    this.byName.clear();
    for (const agent of agents) {
      this.agents.set(agent.agent_id, agent);
      this.byName.set(agent.name, agent.agent_id);
    }
    this.sequence = version;
  }

  private removeAgent(agentId: string): void {
    const existing = this.agents.get(agentId);
    if (!existing) return;
    this.agents.delete(agentId);
    if (this.byName.get(existing.name) === agentId) this.byName.delete(existing.name);
  }

  /** Writes are chained so the file always ends up with the newest state. */
  private persist(): void {
    const path = this.options.cacheFile;
    if (!path) return;
    const content = {
      format: 1 as const,
      version: this.sequence,
      saved_at: new Date().toISOString(),
      agents: this.list(),
    };
    this.writing = this.writing
      .then(() => writeCacheFile(path, content))
      .catch((error: Error) => this.report(error));
  }

  private emit(change: ConfigChange): void {
    for (const listener of this.listeners) {
      try {
        listener(change);
      } catch (error) {
        this.report(error);
      }
    }
  }

  private async request(path: string, headers: Record<string, string> = {}): Promise<Response> {
    const res = await fetch(new URL(path, this.options.baseUrl), {
      headers: {
        'X-API-Key': this.options.apiKey,
        ...(this.options.tenant ? { 'X-Tenant-Id': this.options.tenant } : {}),
        ...headers,
      },
      signal: this.abort.signal,
    });
    if (!res.ok) {
      const body = (await res.json().catch(() => null)) as {
        error?: { code?: string; message?: string };
      } | null;
      throw new HttpError(
        res.status,
        body?.error?.code,
        `${path}: ${res.status} ${body?.error?.message ?? res.statusText}`,
      );
    }
    return res;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.abort.signal.addEventListener('abort', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private report(error: unknown): void {
    this.options.onError?.(error instanceof Error ? error : new Error(String(error)));
  }
}
