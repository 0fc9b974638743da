import { canonicalHash } from '../../shared/canonical-json';
import { Injectable } from '@nestjs/common';
import { SecretBox } from '../../shared/secrets/secret-box';
import { maskSecrets, revealSecrets } from '../../shared/secrets/secret-fields';
import type { AgentConfig } from '../agents/agent-config';
import { ChangeFeedService } from '../events/change-feed.service';
import { commonError } from '../../shared/errors/common.errors';
import type { ResolvedConfigQueryDto } from './dto/resolved-config.dto';
import { internalError } from './internal.errors';
import { CachedBody, CacheStats, ResolvedConfigCache, SNAPSHOT_KEY } from './resolved-config.cache';
import { ResolvedConfigRepository, StoredComponent, StoredVersion } from './resolved-config.repository';
import { NAME_PATTERN, NAME_RULE } from '../agents/agent-validators';

/** Secrets decrypted (a service key allowed them) or masked: two answers, cached apart. */
function cacheKey(idOrName: string, query: ResolvedConfigQueryDto, withSecrets = false): string {
  const at = query.version === undefined ? (query.label ?? 'latest') : `v${query.version}`;
  return `${idOrName}@${at}${withSecrets ? '+secrets' : ''}`;
}

function namesOf(config: AgentConfig): string[] {
  const names = [...config.tools];
  if (typeof config.model === 'string') names.push(config.model);
  if (config.memory) names.push(config.memory);
  if (config.knowledge) names.push(config.knowledge);
  return names;
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
    private readonly box: SecretBox,
  ) {}

  /**
   * `withSecrets`: component secrets decrypted, for a service key allowed them on `/internal`;
   * masked otherwise. Both answers carry the same hash.
   */
  async resolve(
    tenantId: string,
    idOrName: string,
    query: ResolvedConfigQueryDto,
    withSecrets = false,
  ): Promise<CachedBody> {
    // An agent's id and its name both fit the name rule; what does not is no agent of any tenant.
    if (!NAME_PATTERN.test(idOrName)) {
      throw commonError(
        'VALIDATION_FAILED',
        `Validation failed: idOrName must be an agent id or ${NAME_RULE}`,
        [{ field: 'idOrName', code: 'matches', message: `idOrName must be an agent id or ${NAME_RULE}` }],
      );
    }
    if (query.label !== undefined && query.version !== undefined) {
      throw commonError('VALIDATION_FAILED', 'Validation failed: ask for a label or a version, not both', [
        { field: 'label', code: 'exclusive', message: 'label and version exclude each other' },
      ]);
    }
    const label = query.version === undefined ? (query.label ?? 'latest') : undefined;
    const key = cacheKey(idOrName, query, withSecrets);
    const cached = this.cache.get(tenantId, key);
    if (cached) return cached;

    const generation = this.cache.generation(tenantId);
    const agent = await this.configs.findActiveAgent(tenantId, idOrName);
    if (!agent) throw internalError('AGENT_NOT_FOUND', `No active agent ${idOrName}`);
    let version = query.version ?? agent.currentVersion;
    if (label && label !== 'latest') {
      if (!Object.hasOwn(agent.labels, label))
        throw internalError('LABEL_NOT_FOUND', `Agent ${agent.name} has no label ${label}`);
      version = agent.labels[label];
    }
    const stored = await this.configs.findVersion(tenantId, agent.id, version);
    if (!stored) throw internalError('VERSION_NOT_FOUND', `Agent ${agent.name} has no version ${version}`);
    const components = await this.configs.components(tenantId, namesOf(stored.config));
    const entry = this.serialize({
      ...this.toResolved(stored, components, withSecrets),
      ...(label ? { label } : {}),
    });
    this.cache.set(tenantId, key, entry, generation);
    return entry;
  }

  /** The cached answer if there is one; never reads the database (the fast path's question). */
  peek(
    tenantId: string,
    idOrName: string,
    query: ResolvedConfigQueryDto,
    withSecrets = false,
  ): CachedBody | undefined {
    return this.cache.peek(tenantId, cacheKey(idOrName, query, withSecrets));
  }

  /** Every active agent at its latest version; its ETag is the tenant's change sequence. */
  async resolveAll(tenantId: string, withSecrets = false): Promise<CachedBody> {
    const key = withSecrets ? `${SNAPSHOT_KEY}+secrets` : SNAPSHOT_KEY;
    const cached = this.cache.get(tenantId, key);
    if (cached) return cached;
    const generation = this.cache.generation(tenantId);
    // Read the sequence first: the agents read after it are at least that new, so a consumer
    // resuming the change stream from it can only see changes again, never miss one.
    const { version } = await this.feed.version(tenantId);
    const agents = await this.configs.listActive(tenantId);
    const components = await this.configs.components(tenantId);
    const body = Buffer.from(
      JSON.stringify({
        version,
        synced_at: new Date().toISOString(),
        agents: agents.map((agent) => ({
          ...this.toResolved(agent, components, withSecrets),
          labels: agent.labels,
        })),
      }),
    );
    const entry = { body, etag: `"${version}"`, configHash: `seq:${version}` };
    this.cache.set(tenantId, key, entry, generation);
    return entry;
  }

  stats(tenantId: string): CacheStats {
    return this.cache.stats(tenantId);
  }

  /**
   * The version with its named model, tools, memory and knowledge expanded into their component
   * configs (`{name, …fields}`); a name no enabled component carries stays a name (a built-in
   * tool, a disabled component, or a reference the review refused). The hash covers the expanded config with secrets sealed, so it
   * changes with any component change, secrets included, and is the same for both views.
   */
  private toResolved(stored: StoredVersion, components: Map<string, StoredComponent>, withSecrets: boolean) {
    const expand = (name: string, type: string): unknown => {
      const component = components.get(name);
      // A disabled component is out of service at once: its name is not expanded.
      if (!component || component.type !== type || !component.enabled) return name;
      return { name, ...component.config };
    };
    const agent = stored.config;
    const sealed: Record<string, unknown> = {
      ...agent,
      model: typeof agent.model === 'string' ? expand(agent.model, 'model') : agent.model,
      tools: agent.tools.map((tool) => expand(tool, 'tool')),
      memory: agent.memory === null ? null : expand(agent.memory, 'memory'),
      knowledge: agent.knowledge === null ? null : expand(agent.knowledge, 'knowledge'),
    };
    const view = (value: unknown) => (withSecrets ? revealSecrets(value, this.box) : maskSecrets(value));
    const config = {
      ...sealed,
      model: view(sealed.model),
      tools: (sealed.tools as unknown[]).map(view),
      memory: view(sealed.memory),
      knowledge: view(sealed.knowledge),
    };
    return {
      agent_id: stored.agentId,
      name: stored.name,
      version: stored.version,
      config_hash: canonicalHash(sealed),
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
