import { randomBytes } from 'node:crypto';
import type { Role } from '../../src/shared/auth/permissions';
import type { TestApp } from '../helpers/test-app';
import { platformToken, signToken } from '../helpers/tokens';

export interface TestTenant {
  id: string;
  slug: string;
  /** A JWT for a user of this tenant with the given roles. */
  token(...roles: Role[]): string;
}

export interface TenantOverrides {
  slug?: string;
  name?: string;
  tier?: 'free' | 'pro' | 'enterprise';
  limits?: Record<string, unknown>;
}

/** Creates a tenant through the platform API, as an operator would. */
export async function createTenant(ctx: TestApp, overrides: TenantOverrides = {}): Promise<TestTenant> {
  const slug = overrides.slug ?? `t-${randomBytes(4).toString('hex')}`;
  const res = await ctx.http
    .post('/api/v1/tenants')
    .set('Authorization', `Bearer ${platformToken()}`)
    .send({
      slug,
      name: overrides.name ?? `Tenant ${slug}`,
      tier: overrides.tier ?? 'pro',
      limits: overrides.limits,
    });
  if (res.status !== 201) throw new Error(`createTenant: ${res.status} ${JSON.stringify(res.body)}`);
  const id = res.body.id as string;
  return { id, slug, token: (...roles: Role[]) => signToken({ sub: `${slug}-user`, tenant: id, roles }) };
}

/** Creates an API key in the tenant with the given role; returns the plain key and its id. */
export async function createApiKey(
  ctx: TestApp,
  tenant: TestTenant,
  role: Role,
): Promise<{ id: string; key: string }> {
  const res = await ctx.http
    .post('/api/v1/api-keys')
    .set('Authorization', `Bearer ${tenant.token('owner')}`)
    .send({ name: `${role} key`, role });
  if (res.status !== 201) throw new Error(`createApiKey: ${res.status} ${JSON.stringify(res.body)}`);
  return { id: res.body.id as string, key: res.body.key as string };
}
