import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import type { ApiKeyAuthenticator, ApiKeyIdentity } from '../../shared/auth/auth.ports';
import { MessageBus } from '../../shared/events/message-bus';
import { APP_SETTINGS } from '../../shared/settings/settings.module';
import type { AppSettings } from '../../shared/settings/settings';
import { hashApiKey, hashesMatch, prefixOf } from './api-key-secret';
import { ApiKeysRepository } from './api-keys.repository';

export const API_KEY_REVOKED_CHANNEL = 'api-keys.revoked';
const LAST_USED_RESOLUTION_MS = 60_000;

interface CachedKey {
  identity: ApiKeyIdentity;
  expiresAt: number;
}

/**
 * Checks presented API keys. Hits are served from a short-lived in-memory cache keyed by the
 * key's hash; a revocation drops the entry here at once and on every other instance through the
 * message bus. `last_used_at` is written at most once a minute per key, off the request path.
 */
@Injectable()
export class ApiKeyAuthenticatorService implements ApiKeyAuthenticator, OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('ApiKeys');
  private readonly cache = new Map<string, CachedKey>();
  private readonly lastTouched = new Map<string, number>();
  private unsubscribe?: () => void;

  constructor(
    private readonly keys: ApiKeysRepository,
    private readonly bus: MessageBus,
    @Inject(APP_SETTINGS) private readonly settings: AppSettings,
  ) {}

  onModuleInit(): void {
    this.unsubscribe = this.bus.subscribe(API_KEY_REVOKED_CHANNEL, (payload) => {
      const hash = (payload as { hash?: unknown }).hash;
      if (typeof hash === 'string') this.cache.delete(hash);
    });
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
  }

  peek(presented: string): ApiKeyIdentity | undefined {
    if (!prefixOf(presented)) return undefined;
    const cached = this.cache.get(hashApiKey(presented));
    const now = Date.now();
    if (!cached || cached.expiresAt <= now) return undefined;
    this.touch(cached.identity.id, now);
    return cached.identity;
  }

  async authenticate(presented: string): Promise<ApiKeyIdentity | null> {
    const hit = this.peek(presented);
    if (hit) return hit;
    const prefix = prefixOf(presented);
    if (!prefix) return null;
    const hash = hashApiKey(presented);
    const now = Date.now();
    this.cache.delete(hash);

    const row = await this.keys.findByPrefixForAuthentication(prefix);
    if (!row || !hashesMatch(row.keyHash, hash) || row.revokedAt) return null;
    if (row.expiresAt && row.expiresAt.getTime() <= now) return null;

    const identity: ApiKeyIdentity = {
      id: row.id,
      tenantId: row.tenantId,
      role: row.role,
      platform: row.platform,
      allowSecrets: row.allowSecrets,
    };
    const ttl = this.settings.apiKeyCacheTtlMs;
    if (ttl > 0) {
      const expiresAt = Math.min(now + ttl, row.expiresAt?.getTime() ?? Infinity);
      this.cache.set(hash, { identity, expiresAt });
    }
    this.touch(row.id, now);
    return identity;
  }

  /** Called after a revocation commits. */
  async revoked(keyHash: string): Promise<void> {
    this.cache.delete(keyHash);
    await this.bus.publish(API_KEY_REVOKED_CHANNEL, { hash: keyHash }).catch((err: Error) => {
      this.logger.warn(
        { err: err.message },
        'revocation not broadcast; other instances drop the key within the cache TTL',
      );
    });
  }

  private touch(id: string, now: number): void {
    const last = this.lastTouched.get(id) ?? 0;
    if (now - last < LAST_USED_RESOLUTION_MS) return;
    this.lastTouched.set(id, now);
    this.keys.touchLastUsed(id, new Date(now)).catch((err: Error) => {
      this.logger.warn({ err: err.message }, 'could not record last_used_at');
    });
  }
}
