import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import type { ApiKeyAuthenticator, ApiKeyIdentity } from '../../shared/auth/auth.ports';
import { MessageBus } from '../../shared/events/message-bus';
import { APP_SETTINGS } from '../../shared/settings/settings.module';
import type { AppSettings } from '../../shared/settings/settings';
import { hashApiKey, hashesMatch, prefixOf } from './api-key-secret';
import type { ApiKeyEntity } from './api-key.entity';
import { ApiKeysRepository } from './api-keys.repository';

export const API_KEY_REVOKED_CHANNEL = 'api-keys.revoked';
const LAST_USED_RESOLUTION_MS = 60_000;

interface CachedKey {
  identity: ApiKeyIdentity;
  /** When this entry must be re-read: one TTL after the read, never past the key's own expiry. */
  expiresAt: number;
  /** The key's own expiry (`expires_at`), beyond which no fallback may serve it. */
  keyExpiresAt: number;
}

/**
 * Checks presented API keys. Hits are served from a short-lived in-memory cache keyed by the
 * key's hash; a revocation drops the entry here at once and on every other instance through the
 * message bus. `last_used_at` is written at most once a minute per key, off the request path.
 *
 * An expired entry is kept as the last known answer, as the tenant directory does: when
 * re-reading it fails (the database is down), that identity is served again for another TTL
 * instead of failing every request, so `/internal` reads by a key outlive the TTL through an
 * outage. A revoked key has no entry (the revocation dropped it), a key past its own `expires_at`
 * is refused, and a key with no entry is not guessed at: its read fails as the database does.
 */
@Injectable()
export class ApiKeyAuthenticatorService implements ApiKeyAuthenticator, OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('ApiKeys');
  private readonly cache = new Map<string, CachedKey>();
  private readonly lastTouched = new Map<string, number>();
  /** Bumped by every revocation, so a read that raced one does not store what it read before it. */
  private generation = 0;
  private unsubscribe?: () => void;

  constructor(
    private readonly keys: ApiKeysRepository,
    private readonly bus: MessageBus,
    @Inject(APP_SETTINGS) private readonly settings: AppSettings,
  ) {}

  onModuleInit(): void {
    this.unsubscribe = this.bus.subscribe(API_KEY_REVOKED_CHANNEL, (payload) => {
      const hash = (payload as { hash?: unknown }).hash;
      if (typeof hash === 'string') this.forget(hash);
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
    const generation = this.generation;
    const lastKnown = this.cache.get(hash);

    let row: ApiKeyEntity | null;
    try {
      row = await this.keys.findByPrefixForAuthentication(prefix);
    } catch (error) {
      // The same key was verified before, so this failure is the database's, not the key's.
      // Unless a revocation dropped the entry meanwhile, its answer is the best one there is.
      if (!lastKnown || this.cache.get(hash) !== lastKnown) throw error;
      const now = Date.now();
      if (lastKnown.keyExpiresAt <= now) {
        this.cache.delete(hash);
        return null;
      }
      this.logger.warn(
        { err: (error as Error).message, key: lastKnown.identity.id },
        'API key not re-read; serving the last known identity',
      );
      // Re-armed: an outage costs one failed read per key and TTL, not one per request.
      lastKnown.expiresAt = Math.min(now + this.settings.apiKeyCacheTtlMs, lastKnown.keyExpiresAt);
      return lastKnown.identity;
    }

    const now = Date.now();
    const keyExpiresAt = row?.expiresAt?.getTime() ?? Infinity;
    if (!row || !hashesMatch(row.keyHash, hash) || row.revokedAt || keyExpiresAt <= now) {
      this.cache.delete(hash);
      return null;
    }

    const identity: ApiKeyIdentity = {
      id: row.id,
      tenantId: row.tenantId,
      role: row.role,
      platform: row.platform,
      allowSecrets: row.allowSecrets,
      ...(row.expiresAt ? { expiresAt: row.expiresAt.getTime() } : {}),
    };
    const ttl = this.settings.apiKeyCacheTtlMs;
    if (ttl > 0 && generation === this.generation) {
      this.cache.set(hash, { identity, expiresAt: Math.min(now + ttl, keyExpiresAt), keyExpiresAt });
    }
    this.touch(row.id, now);
    return identity;
  }

  /** Called after a revocation commits. */
  async revoked(keyHash: string): Promise<void> {
    this.forget(keyHash);
    await this.bus.publish(API_KEY_REVOKED_CHANNEL, { hash: keyHash }).catch((err: Error) => {
      this.logger.warn(
        { err: err.message },
        'revocation not broadcast; other instances drop the key within the cache TTL',
      );
    });
  }

  private forget(keyHash: string): void {
    this.generation++;
    this.cache.delete(keyHash);
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
