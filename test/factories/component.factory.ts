import type { Role } from '../../src/shared/auth/permissions';
import type { TestApp } from '../helpers/test-app';
import type { TestTenant } from './tenant.factory';

export type ComponentConfig = Record<string, unknown>;

/** Valid configs of each component type, with overrides. */
export const componentConfigs = {
  model: (overrides: ComponentConfig = {}): ComponentConfig => ({
    type: 'model',
    provider: 'openai',
    model: 'gpt-4o-mini',
    base_url: 'https://api.openai.com/v1',
    temperature: 0.2,
    ...overrides,
  }),
  scripted: (overrides: ComponentConfig = {}): ComponentConfig => ({
    type: 'model',
    provider: 'scripted',
    model: 'echo',
    replies: [{ content: 'Hello!' }],
    ...overrides,
  }),
  tool: (overrides: ComponentConfig = {}): ComponentConfig => ({
    type: 'tool',
    description: 'Evaluates arithmetic',
    parameters: { type: 'object', properties: { expression: { type: 'string' } }, required: ['expression'] },
    builtin: 'calculator',
    ...overrides,
  }),
  httpTool: (overrides: ComponentConfig = {}): ComponentConfig => ({
    type: 'tool',
    description: 'Searches the knowledge base',
    parameters: { type: 'object', properties: { query: { type: 'string' } } },
    http: { url: 'https://search.example.com/q', method: 'POST', timeout_ms: 5000 },
    ...overrides,
  }),
  memory: (overrides: ComponentConfig = {}): ComponentConfig => ({
    type: 'memory',
    session_window: { max_messages: 20 },
    ...overrides,
  }),
  knowledge: (overrides: ComponentConfig = {}): ComponentConfig => ({
    type: 'knowledge',
    static_text: { documents: [{ title: 'FAQ', content: 'Reset your password from the login page.' }] },
    ...overrides,
  }),
};

/** PUTs a component as an editor (or `role`); returns the response body. */
export async function putComponent(
  ctx: TestApp,
  tenant: TestTenant,
  name: string,
  config: ComponentConfig,
  extra: Record<string, unknown> = {},
  role: Role = 'editor',
): Promise<Record<string, unknown>> {
  const res = await ctx.http
    .put(`/api/v1/config/${name}`)
    .set('Authorization', `Bearer ${tenant.token(role)}`)
    .send({ config, ...extra });
  if (res.status !== 200) throw new Error(`putComponent: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as Record<string, unknown>;
}

/**
 * The components the default agent body (agent.factory) names: model `gpt4`, tools `search` and
 * `ticket`, memory `session_memory`, knowledge `product_docs`.
 */
export async function putDefaultComponents(ctx: TestApp, tenant: TestTenant): Promise<void> {
  await putComponent(ctx, tenant, 'gpt4', componentConfigs.model({ model: 'gpt-4o' }));
  await putComponent(ctx, tenant, 'search', componentConfigs.httpTool());
  await putComponent(ctx, tenant, 'ticket', componentConfigs.tool({ description: 'Opens a ticket' }));
  await putComponent(ctx, tenant, 'session_memory', componentConfigs.memory());
  await putComponent(ctx, tenant, 'product_docs', componentConfigs.knowledge());
}
