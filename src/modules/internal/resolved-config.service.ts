import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import canonicalize from 'canonicalize';
import { ChangeFeedService } from '../events/change-feed.service';
import { commonError } from '../../shared/errors/common.errors';
import type { ResolvedConfigQueryDto } from './dto/resolved-config.dto';
import { internalError } from './internal.errors';
import { CachedBody, CacheStats, ResolvedConfigCache } from './resolved-config.cache';
import { ResolvedConfigRepository, StoredVersion } from './resolved-config.repository';

function cacheKey(idOrName: string, query: ResolvedConfigQueryDto): string {
  return `${idOrName}@${query.version === undefined ? (query.label ?? 'latest') : `v${query.version}`}`;
}

function canonicalHash(value: unknown): string {
  return `sha256:${createHash('sha256')
    .update(canonicalize(value) as string)
    .digest('hex')}`;
}

/**
 * An agent version as an execution service needs it, served from memory as pre-serialized bytes
 * with their ETag. References to components are expanded here (as they come to exist); the hash
 * is that of the resolved configuration, so it changes when a referenced component does.
 */
@Injectable()
export class ResolvedConfigService {
  constructor(
    private readonly configs: ResolvedConfigRepository,
    private readonly cache: ResolvedConfigCache,
    private readonly feed: ChangeFeedService,
  ) {}

  async resolve(tenantId: string, idOrName: string, query: ResolvedConfigQueryDto): Promise<CachedBody> {
    if (query.label !== undefined && query.version !== undefined) {
      throw commonError('VALIDATION_FAILED', 'Validation failed: ask for a label or a version, not both', [
        { field: 'label', code: 'exclusive', message: 'label and version exclude each other' },
      ]);
    }
    const label = query.version === undefined ? (query.label ?? 'latest') : undefined;
    const key = cacheKey(idOrName, query);
    const cached = this.cache.get(tenantId, key);
    if (cached) return cached;

    const generation = this.cache.generation(tenantId);
    const agent = await this.configs.findActiveAgent(tenantId, idOrName);
    if (!agent) throw internalError('AGENT_NOT_FOUND', `No active agent ${idOrName}`);
    let version = query.version ?? agent.currentVersion;
    if (label && label !== 'latest') {
      if (agent.labels[label] === undefined)
        throw internalError('LABEL_NOT_FOUND', `Agent ${agent.name} has no label ${label}`);
      version = agent.labels[label];
    }
    const stored = await this.configs.findVersion(tenantId, agent.id, version);
    if (!stored) throw internalError('VERSION_NOT_FOUND', `Agent ${agent.name} has no version ${version}`);
    const entry = this.serialize({ ...this.toResolved(stored), ...(label ? { label } : {}) });
    this.cache.set(tenantId, key, entry, generation);
    return entry;
  }

  /** The cached answer if there is one; never reads the database (the fast path's question). */
  peek(tenantId: string, idOrName: string, query: ResolvedConfigQueryDto): CachedBody | undefined {
    return this.cache.peek(tenantId, cacheKey(idOrName, query));
  }

  /** Every active agent at its latest version; its ETag is the tenant's change sequence. */
  async resolveAll(tenantId: string): Promise<CachedBody> {
    const cached = this.cache.get(tenantId, '*all');
    if (cached) return cached;
    const generation = this.cache.generation(tenantId);
    // Read the sequence first: the agents read after it are at least that new, so a consumer
    // resuming the change stream from it can only see changes again, never miss one.
    const { version } = await this.feed.version(tenantId);
    const agents = await this.configs.listActive(tenantId);
    const body = Buffer.from(
      JSON.stringify({
        version,
        synced_at: new Date().toISOString(),
        agents: agents.map((agent) => ({ ...this.toResolved(agent), labels: agent.labels })),
      }),
    );
    const entry = { body, etag: `"${version}"`, configHash: `seq:${version}` };
    this.cache.set(tenantId, '*all', entry, generation);
    return entry;
  }

  stats(tenantId: string): CacheStats {
    return this.cache.stats(tenantId);
  }

  private toResolved(stored: StoredVersion) {
    const config = stored.config as unknown as Record<string, unknown>;
    return {
      agent_id: stored.agentId,
      name: stored.name,
      version: stored.version,
      config_hash: canonicalHash(config),
      config,
    };
  }

  private serialize(resolved: { config_hash: string }): CachedBody {
    return {
      body: Buffer.from(JSON.stringify(resolved)),
      etag: `"${resolved.config_hash}"`,
      configHash: resolved.config_hash,
    };
  }
}
