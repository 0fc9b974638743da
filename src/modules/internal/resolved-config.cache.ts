import { Inject, Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { allChangesChannel, ChangeMessage, changesPrunedChannel } from '../../shared/events/change-message';
import { CommittedChanges } from '../../shared/events/committed-changes';
import { MessageBus } from '../../shared/events/message-bus';
import { configCacheRequests } from '../../shared/metrics/metrics';

const CACHE_HIT = configCacheRequests.labels('hit');
const CACHE_MISS = configCacheRequests.labels('miss');
import { APP_SETTINGS } from '../../shared/settings/settings.module';
import type { AppSettings } from '../../shared/settings/settings';

/** Keys of a tenant's snapshot of every agent (`/internal/v1/config/all`), which carries a version. */
export const SNAPSHOT_KEY = '*all';

/** A resolved configuration as served: the bytes of its JSON body and its strong ETag. */
export interface CachedBody {
  body: Buffer;
  etag: string;
  configHash: string;
}

interface Entry extends CachedBody {
  tenantId: string;
  createdAt: number;
  lastAccessAt: number;
  accessCount: number;
}

export interface CacheStats {
  entries: number;
  hits: number;
  misses: number;
  hitRatio: number;
  totalAccessCount: number;
  configs: Array<{
    key: string;
    configHash: string;
    accessCount: number;
    createdAt: number;
    lastAccessAt: number;
  }>;
}

/**
 * In-memory LRU of resolved configurations, pre-serialized, keyed by tenant, agent and
 * label/version. Any change of a tenant drops that tenant's entries: at once on the instance that
 * committed it, and through the bus on every other. A per-tenant generation stops a read that
 * raced a change from storing what it read before the change.
 */
@Injectable()
export class ResolvedConfigCache implements OnModuleInit, OnModuleDestroy {
  private readonly entries = new Map<string, Entry>();
  private readonly generations = new Map<string, number>();
  /** Bumped when every tenant's snapshot went stale at once (change events were pruned). */
  private epoch = 0;
  private readonly counters = new Map<string, { hits: number; misses: number }>();
  private readonly unsubscribers: Array<() => void> = [];

  constructor(
    private readonly bus: MessageBus,
    private readonly committed: CommittedChanges,
    @Inject(APP_SETTINGS) private readonly settings: AppSettings,
  ) {}

  onModuleInit(): void {
    this.unsubscribers.push(
      this.committed.onCommit((tenantIds) =>
        tenantIds.forEach((tenantId) => this.invalidateTenant(tenantId)),
      ),
      this.bus.subscribe(allChangesChannel, (message) =>
        this.invalidateTenant((message as ChangeMessage).tenant_id),
      ),
      this.bus.subscribe(changesPrunedChannel, () => this.dropSnapshots()),
    );
  }

  onModuleDestroy(): void {
    for (const unsubscribe of this.unsubscribers.splice(0)) unsubscribe();
  }

  generation(tenantId: string): number {
    return (this.generations.get(tenantId) ?? 0) + this.epoch;
  }

  /** A hit or a counted miss. */
  get(tenantId: string, key: string): CachedBody | undefined {
    const entry = this.peek(tenantId, key);
    if (!entry) {
      this.counter(tenantId).misses++;
      CACHE_MISS.inc();
    }
    return entry;
  }

  /** A hit, or undefined without counting a miss (the caller falls back to `get`). */
  peek(tenantId: string, key: string): CachedBody | undefined {
    const counter = this.counter(tenantId);
    const entry = this.entries.get(`${tenantId}|${key}`);
    if (!entry) return undefined;
    counter.hits++;
    CACHE_HIT.inc();
    entry.accessCount++;
    entry.lastAccessAt = Date.now();
    // Map order is insertion order: re-inserting keeps the most recently used last.
    this.entries.delete(`${tenantId}|${key}`);
    this.entries.set(`${tenantId}|${key}`, entry);
    return entry;
  }

  /** Stores unless the tenant changed since `generation` was read. */
  set(tenantId: string, key: string, value: CachedBody, generation: number): void {
    if (this.generation(tenantId) !== generation) return;
    const now = Date.now();
    this.entries.set(`${tenantId}|${key}`, {
      ...value,
      tenantId,
      createdAt: now,
      lastAccessAt: now,
      accessCount: 0,
    });
    while (this.entries.size > this.settings.resolvedConfigCacheSize) {
      this.entries.delete(this.entries.keys().next().value as string);
    }
  }

  invalidateTenant(tenantId: string): void {
    this.generations.set(tenantId, (this.generations.get(tenantId) ?? 0) + 1);
    for (const [key, entry] of this.entries) if (entry.tenantId === tenantId) this.entries.delete(key);
  }

  /**
   * Drops every tenant's snapshot: its version may now be below the pruned mark, and a consumer
   * resuming the change feed from it would be refused. A snapshot read meanwhile is not stored.
   */
  dropSnapshots(): void {
    this.epoch++;
    for (const [key, entry] of this.entries) {
      if (key.startsWith(`${entry.tenantId}|${SNAPSHOT_KEY}`)) this.entries.delete(key);
    }
  }

  stats(tenantId: string): CacheStats {
    const { hits, misses } = this.counter(tenantId);
    const configs = [...this.entries.entries()]
      .filter(([, entry]) => entry.tenantId === tenantId)
      .map(([key, entry]) => ({
        key: key.slice(tenantId.length + 1),
        configHash: entry.configHash,
        accessCount: entry.accessCount,
        createdAt: entry.createdAt,
        lastAccessAt: entry.lastAccessAt,
      }));
    return {
      entries: configs.length,
      hits,
      misses,
      hitRatio: hits + misses === 0 ? 0 : hits / (hits + misses),
      totalAccessCount: hits + misses,
      configs,
    };
  }

  private counter(tenantId: string): { hits: number; misses: number } {
    let counter = this.counters.get(tenantId);
    if (!counter) this.counters.set(tenantId, (counter = { hits: 0, misses: 0 }));
    return counter;
  }
}
