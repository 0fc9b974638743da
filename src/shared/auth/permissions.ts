/** Every permission a route can require. The role map below is the only place that grants them. */
export enum Permission {
  AgentRead = 'agent:read',
  AgentWrite = 'agent:write',
  AgentDelete = 'agent:delete',
  AgentExecute = 'agent:execute',
  ConfigRead = 'config:read',
  ConfigWrite = 'config:write',
  RunRead = 'run:read',
  RunControl = 'run:control',
  TemplateWrite = 'template:write',
  MetricsRead = 'metrics:read',
  ApiKeyManage = 'apikey:manage',
  AuditRead = 'audit:read',
  TenantManage = 'tenant:manage',
  InternalRead = 'internal:read',
}

export const ROLES = ['owner', 'admin', 'editor', 'operator', 'viewer', 'service'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

const VIEWER: Permission[] = [
  Permission.AgentRead,
  Permission.ConfigRead,
  Permission.RunRead,
  Permission.MetricsRead,
];
const OPERATOR: Permission[] = [...VIEWER, Permission.AgentExecute, Permission.RunControl];
const EDITOR: Permission[] = [
  ...OPERATOR,
  Permission.AgentWrite,
  Permission.AgentDelete,
  Permission.ConfigWrite,
  Permission.TemplateWrite,
];
const ADMIN: Permission[] = [...EDITOR, Permission.ApiKeyManage, Permission.AuditRead];

/** Role -> permissions. A change here is a reviewed permission change (see the route snapshot test). */
export const ROLE_PERMISSIONS: Readonly<Record<Role, readonly Permission[]>> = {
  owner: ADMIN,
  admin: ADMIN,
  editor: EDITOR,
  operator: OPERATOR,
  viewer: VIEWER,
  service: [Permission.InternalRead],
};

/** Granted by the platform-operator flag, whatever the roles. */
export const PLATFORM_PERMISSIONS: readonly Permission[] = [Permission.TenantManage, Permission.MetricsRead];

/** Permissions that act on the platform rather than inside one tenant (system metrics: across tenants). */
export const TENANTLESS_PERMISSIONS: ReadonlySet<Permission> = new Set([
  Permission.TenantManage,
  Permission.MetricsRead,
]);

export function permissionsFor(roles: readonly Role[], platform: boolean): Set<Permission> {
  const granted = new Set<Permission>();
  for (const role of roles) for (const permission of ROLE_PERMISSIONS[role]) granted.add(permission);
  if (platform) for (const permission of PLATFORM_PERMISSIONS) granted.add(permission);
  return granted;
}

/** True when a principal holding `held` may hand `wanted` to a new API key (no escalation). */
export function canGrantRole(held: readonly Role[], wanted: Role): boolean {
  if (held.includes('owner')) return true;
  if (wanted === 'owner') return false;
  // A service key only reads the tenant's resolved configurations, which any key manager can read
  // already through the agent routes; internal:read is just the form execution services need.
  if (wanted === 'service') return permissionsFor(held, false).has(Permission.ApiKeyManage);
  const mine = permissionsFor(held, false);
  return ROLE_PERMISSIONS[wanted].every((permission) => mine.has(permission));
}
