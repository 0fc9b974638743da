import { randomBytes } from 'node:crypto';
import type { Role } from '../../src/shared/auth/permissions';
import type { TestApp } from '../helpers/test-app';
import type { TestTenant } from './tenant.factory';

export type AgentBody = Record<string, unknown>;

/** An agent as the API answers it. */
export interface AgentJson {
  id: string;
  name: string;
  version: number;
  config_hash: string;
  [field: string]: unknown;
}

/** A valid agent body, in the shape the admin frontend sends, with a unique name. */
export function agentBody(overrides: AgentBody = {}): AgentBody {
  return {
    name: `agent_${randomBytes(4).toString('hex')}`,
    description: 'Customer support agent',
    model: 'gpt4',
    tools: ['search', 'ticket'],
    memory: 'session_memory',
    knowledge: 'product_docs',
    system_prompt: 'You are a helpful assistant',
    config: { max_steps: 10, temperature: 0.7 },
    metadata: {},
    tags: ['support'],
    ...overrides,
  };
}

/** Creates an agent through the API as an editor (or `role`); returns the response body. */
export async function createAgent(
  ctx: TestApp,
  tenant: TestTenant,
  overrides: AgentBody = {},
  role: Role = 'editor',
): Promise<AgentJson> {
  const res = await ctx.http
    .post('/api/v1/agents')
    .set('Authorization', `Bearer ${tenant.token(role)}`)
    .send(agentBody(overrides));
  if (res.status !== 201) throw new Error(`createAgent: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as AgentJson;
}
