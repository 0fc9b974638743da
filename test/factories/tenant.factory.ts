import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
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
  /** Seed the components the default agent body names (default true); see seedDefaultComponents. */
  components?: boolean;
}

/**
 * The components `agentBody()` names (model `gpt4`, tools `search` and `ticket`, memory
 * `session_memory`, knowledge `product_docs`), so that agents built by the factory pass the
 * reference review. Written as fixture rows straight into the tenant's tables: no audit row and no
 * change event, so tests that count those are not disturbed.
 */
export const DEFAULT_COMPONENTS: Array<[string, string, Record<string, unknown>]> = [
  ['gpt4', 'model', { provider: 'openai', model: 'gpt-4o', base_url: 'https://api.openai.com/v1' }],
  [
    'search',
    'tool',
    {
      description: 'Searches',
      parameters: { type: 'object' },
      http: { url: 'https://search.example.com/q' },
    },
  ],
  [
    'ticket',
    'tool',
    { description: 'Opens a ticket', parameters: { type: 'object' }, builtin: 'current_time' },
  ],
  ['session_memory', 'memory', { session_window: { max_messages: 20 } }],
  ['product_docs', 'knowledge', { static_text: { documents: [{ content: 'Docs' }] } }],
];

/** Tool components with these names (fixture rows, as seedDefaultComponents writes them). */
export function seedTools(ctx: TestApp, tenantId: string, names: string[]): Promise<void> {
  return seedComponents(
    ctx,
    tenantId,
    names.map((name) => [
      name,
      'tool',
      { description: name, parameters: { type: 'object' }, builtin: 'calculator' },
    ]),
  );
}

export function seedDefaultComponents(ctx: TestApp, tenantId: string): Promise<void> {
  return seedComponents(ctx, tenantId, DEFAULT_COMPONENTS);
}

async function seedComponents(
  ctx: TestApp,
  tenantId: string,
  components: Array<[string, string, Record<string, unknown>]>,
): Promise<void> {
  const client = new Client({ connectionString: ctx.database.url });
  await client.connect();
  try {
    for (const [name, type, config] of components) {
      await client.query(
        `INSERT INTO components (tenant_id, name, type, config, version) VALUES ($1, $2, $3, $4, 1)`,
        [tenantId, name, type, JSON.stringify(config)],
      );
    }
  } finally {
    await client.end();
  }
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
  // An app in a child process (no database handle here) gets no fixture rows.
  if (overrides.components !== false && ctx.database) await seedDefaultComponents(ctx, id);
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
