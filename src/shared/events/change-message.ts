/** A change event as it travels on the bus, in the change feed and in the SSE stream. */
export interface ChangeMessage {
  id: number;
  type: string;
  tenant_id: string;
  resource_type: string;
  resource_id: string;
  version: number | null;
  config_hash: string | null;
  payload: Record<string, unknown>;
  at: string;
}

export interface ChangeEventRow {
  id: string;
  tenant_id: string;
  type: string;
  resource_type: string;
  resource_id: string;
  version: number | null;
  config_hash: string | null;
  payload: Record<string, unknown>;
  created_at: Date;
}

export const CHANGE_COLUMNS =
  'id, tenant_id, type, resource_type, resource_id, version, config_hash, payload, created_at';

export function toChangeMessage(row: ChangeEventRow): ChangeMessage {
  return {
    id: Number(row.id),
    type: row.type,
    tenant_id: row.tenant_id,
    resource_type: row.resource_type,
    resource_id: row.resource_id,
    version: row.version,
    config_hash: row.config_hash,
    payload: row.payload,
    at: new Date(row.created_at).toISOString(),
  };
}

/** Bus channels: one per tenant, and one for every tenant (platform consumers, cache invalidation). */
export const allChangesChannel = 'changes';
export const tenantChangesChannel = (tenantId: string): string => `changes:${tenantId}`;
/**
 * Published after change events were pruned, with `{pruned_through}`: a tenant's version is never
 * below the pruned mark, so what was answered with an older one (a cached snapshot) is stale.
 */
export const changesPrunedChannel = 'changes-pruned';
