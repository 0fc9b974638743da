import { Inject, Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import type { TenantResolver } from '../../shared/auth/auth.ports';
import type { TenantSnapshot } from '../../shared/auth/principal';
import { MessageBus } from '../../shared/events/message-bus';
import { APP_SETTINGS } from '../../shared/settings/settings.module';
import type { AppSettings } from '../../shared/settings/settings';
import type { TenantEntity } from './tenant.entity';
import { TenantsRepository } from './tenants.repository';
import { effectiveLimits } from './tiers';

export const TENANT_CHANGED_CHANNEL = 'tenants.changed';

/**
 * Authentication's view of tenants: a short-lived in-memory cache by id and slug, so a request
 * costs no query. A change drops the entry here at once and on other instances through the bus.
 */
@Injectable()
export class TenantDirectory implements TenantResolver, OnModuleInit, OnModuleDestroy {
  private readonly cache = new Map<string, { snapshot: TenantSnapshot | null; expiresAt: number }>();
  private unsubscribe?: () => void;

  constructor(
    private readonly tenants: TenantsRepository,
    private readonly bus: MessageBus,
    @Inject(APP_SETTINGS) private readonly settings: AppSettings,
  ) {}

  onModuleInit(): void {
    this.unsubscribe = this.bus.subscribe(TENANT_CHANGED_CHANNEL, () => this.cache.clear());
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
    const tenant = await this.tenants.findByIdOrSlug(idOrSlug);
    const snapshot = tenant ? toSnapshot(tenant) : null;
    if (this.settings.tenantCacheTtlMs > 0) {
      this.cache.set(idOrSlug, { snapshot, expiresAt: Date.now() + this.settings.tenantCacheTtlMs });
    }
    return snapshot;
  }

  /** Called after a tenant change commits. */
  async changed(): Promise<void> {
    this.cache.clear();
    await this.bus.publish(TENANT_CHANGED_CHANNEL, {}).catch(() => undefined);
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
