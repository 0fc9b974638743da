import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import type { TenantResolver } from '../../shared/auth/auth.ports';
import type { TenantSnapshot } from '../../shared/auth/principal';
import { MessageBus } from '../../shared/events/message-bus';
import { APP_SETTINGS } from '../../shared/settings/settings.module';
import type { AppSettings } from '../../shared/settings/settings';
import type { TenantEntity } from './tenant.entity';
import { TenantsRepository } from './tenants.repository';
import { effectiveLimits } from './tiers';

export const TENANT_CHANGED_CHANNEL = 'tenants.changed';

/** Every id (a UUID) and slug fits this; anything else names no tenant and costs no query. */
const ID_OR_SLUG = /^[A-Za-z0-9-]{1,63}$/;

interface Entry {
  snapshot: TenantSnapshot | null;
  expiresAt: number;
}

/**
 * Authentication's view of tenants: a short-lived in-memory cache by id and slug, so a request
 * costs no query. A change drops the entry here at once and on other instances through the bus.
 *
 * An expired entry is kept as the last known answer: when re-reading it fails (the database is
 * down), that answer is served again for another TTL instead of failing every request, so
 * `/internal` reads keep being served from memory through an outage. A tenant deactivated before
 * the outage was read as inactive and stays refused; a change drops the entry, and a tenant with
 * no entry is not guessed at.
 */
@Injectable()
export class TenantDirectory implements TenantResolver, OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Tenants');
  private readonly cache = new Map<string, Entry>();
  /** Bumped by every change, so a read that raced one does not store what it read before it. */
  private generation = 0;
  private unsubscribe?: () => void;

  constructor(
    private readonly tenants: TenantsRepository,
    private readonly bus: MessageBus,
    @Inject(APP_SETTINGS) private readonly settings: AppSettings,
  ) {}

  onModuleInit(): void {
    this.unsubscribe = this.bus.subscribe(TENANT_CHANGED_CHANNEL, () => this.clear());
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
  }

  peek(idOrSlug: string): TenantSnapshot | null | undefined {
    const cached = this.cache.get(idOrSlug);
    return cached && cached.expiresAt > Date.now() ? cached.snapshot : undefined;
  }

  async resolve(idOrSlug: string): Promise<TenantSnapshot | null> {
    const cached = this.peek(idOrSlug);
    if (cached !== undefined) return cached;
    if (!ID_OR_SLUG.test(idOrSlug)) return null;
    const generation = this.generation;
    const lastKnown = this.cache.get(idOrSlug);
    let tenant: TenantEntity | null;
    try {
      tenant = await this.tenants.findByIdOrSlug(idOrSlug);
    } catch (error) {
      // The same lookup succeeded before, so this failure is the database's, not the input's.
      // Unless a change dropped the entry meanwhile, its answer is the best one there is.
      if (!lastKnown || this.cache.get(idOrSlug) !== lastKnown) throw error;
      this.logger.warn(
        { err: (error as Error).message, tenant: idOrSlug },
        'tenant not re-read; serving the last known snapshot',
      );
      // Re-armed: an outage costs one failed read per tenant and TTL, not one per request.
      lastKnown.expiresAt = Date.now() + this.settings.tenantCacheTtlMs;
      return lastKnown.snapshot;
    }
    const snapshot = tenant ? toSnapshot(tenant) : null;
    if (this.settings.tenantCacheTtlMs > 0 && generation === this.generation) {
      this.cache.set(idOrSlug, { snapshot, expiresAt: Date.now() + this.settings.tenantCacheTtlMs });
    }
    return snapshot;
  }

  /** Called after a tenant change commits. */
  async changed(): Promise<void> {
    this.clear();
    await this.bus.publish(TENANT_CHANGED_CHANNEL, {}).catch(() => undefined);
  }

  private clear(): void {
    this.generation++;
    this.cache.clear();
  }
}

function toSnapshot(tenant: TenantEntity): TenantSnapshot {
  return {
    id: tenant.id,
    slug: tenant.slug,
    tier: tenant.tier,
    active: tenant.active,
    limits: effectiveLimits(tenant.tier, tenant.limitOverrides),
  };
}
