import { Permission, Role } from './permissions';

/** Tier limits in force for a tenant: its tier's row with its overrides applied. */
export interface TenantLimits {
  max_agents: number;
  allowed_model_providers: string[];
  max_tools_per_agent: number;
  max_prompt_length: number;
  max_concurrent_runs: number;
  requests_per_minute: number;
}

/** What authentication needs to know of a tenant; cached, so keep it small. */
export interface TenantSnapshot {
  id: string;
  slug: string;
  tier: string;
  active: boolean;
  limits: TenantLimits;
}

/** Who is calling: a user (JWT) or an API key, bound to at most one tenant. */
export interface Principal {
  kind: 'user' | 'api_key';
  /** JWT `sub`, or the API key's id. */
  id: string;
  tenant: TenantSnapshot | null;
  roles: Role[];
  /** A platform operator (JWT claim `platform: true`): may manage tenants. */
  platform: boolean;
  /** A platform service key: reads `/internal` routes of the tenant named by `X-Tenant-Id`. */
  crossTenant: boolean;
  /** A service API key allowed to read component secrets decrypted on `/internal` routes. */
  allowSecrets?: boolean;
  permissions: ReadonlySet<Permission>;
  /** When the credentials expire (epoch ms): a JWT's `exp`, an API key's `expires_at`. */
  expiresAt?: number;
  /** The id of the request these credentials were presented with (audit rows name it). */
  requestId?: string;
}

/** A principal that has passed the tenant check: `tenant` is set. */
export type TenantPrincipal = Principal & { tenant: TenantSnapshot };

export function actorOf(principal: Principal): string {
  return principal.kind === 'api_key' ? `api_key:${principal.id}` : `user:${principal.id}`;
}
