import type { Role } from './permissions';
import type { TenantSnapshot } from './principal';

/** Finds a tenant by id or slug for authentication; provided by the tenants module. */
export interface TenantResolver {
  /**
   * Null for no such tenant. When the database cannot be read, the last snapshot read for it (a
   * stale one: a tenant seen deactivated stays refused); it throws only when there is none.
   */
  resolve(idOrSlug: string): Promise<TenantSnapshot | null>;
  /** The tenant from memory only: undefined when it is not cached (or the entry expired). */
  peek(idOrSlug: string): TenantSnapshot | null | undefined;
}
export const TENANT_RESOLVER = Symbol('TENANT_RESOLVER');

export interface ApiKeyIdentity {
  id: string;
  tenantId: string | null;
  role: Role;
  platform: boolean;
  /** May read component secrets decrypted on `/internal` routes. */
  allowSecrets: boolean;
  /** The key's own expiry (epoch ms), if it has one. */
  expiresAt?: number;
}

/** Checks a presented API key; provided by the api-keys module. */
export interface ApiKeyAuthenticator {
  authenticate(presentedKey: string): Promise<ApiKeyIdentity | null>;
  /** A key verified recently, from memory only: undefined when it would take a database read. */
  peek(presentedKey: string): ApiKeyIdentity | undefined;
}
export const API_KEY_AUTHENTICATOR = Symbol('API_KEY_AUTHENTICATOR');

/** Every API key starts with this, which tells it apart from a JWT in `Authorization: Bearer`. */
export const API_KEY_PREFIX = 'agt_';
