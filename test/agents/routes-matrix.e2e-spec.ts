import { agentBody, AgentJson, createAgent } from '../factories/agent.factory';
import { createTenant, TestTenant } from '../factories/tenant.factory';
import { loadSpec, specOperations } from '../helpers/openapi-spec';
import { describeRouteMatrix, MatrixRoute } from '../helpers/route-matrix';
import { startTestApp, TestApp } from '../helpers/test-app';

/** What each route acts on: an agent at version 2 with a `staging` label, and a template, all in tenant A. */
interface Fixture {
  agent: AgentJson;
  templateId: string;
}

type RouteCase = MatrixRoute<Fixture>;

const agentPath = (f: Fixture, rest = '') => `/api/v1/agents/${f.agent.id}${rest}`;
const templatePath = (f: Fixture, rest = '') => `/api/v1/templates/${f.templateId}${rest}`;
const NOT_A_UUID = '/api/v1/agents/not-a-uuid';

const ROUTES: RouteCase[] = [
  {
    op: 'listAgents',
    method: 'get',
    path: () => '/api/v1/agents',
    ok: 200,
    weaker: 'service',
    bad: { path: () => '/api/v1/agents?limit=0' },
  },
  {
    op: 'createAgent',
    method: 'post',
    path: () => '/api/v1/agents',
    body: () => agentBody(),
    ok: 201,
    weaker: 'viewer',
    bad: { body: { description: 'no name' } },
  },
  {
    op: 'validateAgentConfig',
    method: 'post',
    path: () => '/api/v1/agents/validate',
    body: () => agentBody(),
    ok: 200,
    weaker: 'viewer',
    bad: { body: { colour: 'red' } },
  },
  {
    op: 'getAgent',
    method: 'get',
    path: (f) => agentPath(f),
    ok: 200,
    weaker: 'service',
    bad: { path: () => NOT_A_UUID },
    notFound: 'AGENT_NOT_FOUND',
  },
  {
    op: 'updateAgent',
    method: 'put',
    path: (f) => agentPath(f),
    body: (f) => agentBody({ name: f.agent.name, system_prompt: 'put' }),
    ok: 200,
    weaker: 'viewer',
    bad: { body: { system_prompt: 'no name' } },
    notFound: 'AGENT_NOT_FOUND',
  },
  {
    op: 'patchAgent',
    method: 'patch',
    path: (f) => agentPath(f),
    body: () => ({ system_prompt: 'patched' }),
    ok: 200,
    weaker: 'viewer',
    bad: { body: { config: { temperature: 9 } } },
    notFound: 'AGENT_NOT_FOUND',
  },
  {
    op: 'deleteAgent',
    method: 'delete',
    path: (f) => agentPath(f),
    ok: 204,
    weaker: 'viewer',
    bad: { path: () => NOT_A_UUID },
    notFound: 'AGENT_NOT_FOUND',
  },
  {
    op: 'validateAgent',
    method: 'post',
    path: (f) => agentPath(f, '/validate'),
    body: () => ({ tools: ['a'] }),
    ok: 200,
    weaker: 'viewer',
    bad: { body: { tools: 'a' } },
    notFound: 'AGENT_NOT_FOUND',
  },
  {
    op: 'activateAgent',
    method: 'post',
    path: (f) => agentPath(f, '/activate'),
    ok: 200,
    weaker: 'viewer',
    bad: { path: () => `${NOT_A_UUID}/activate` },
    notFound: 'AGENT_NOT_FOUND',
  },
  {
    op: 'deactivateAgent',
    method: 'post',
    path: (f) => agentPath(f, '/deactivate'),
    ok: 200,
    weaker: 'viewer',
    bad: { path: () => `${NOT_A_UUID}/deactivate` },
    notFound: 'AGENT_NOT_FOUND',
  },
  {
    op: 'listAgentVersions',
    method: 'get',
    path: (f) => agentPath(f, '/versions'),
    ok: 200,
    weaker: 'service',
    bad: { path: (f) => agentPath(f, '/versions?limit=500') },
    notFound: 'AGENT_NOT_FOUND',
  },
  {
    op: 'getAgentVersion',
    method: 'get',
    path: (f) => agentPath(f, '/versions/1'),
    ok: 200,
    weaker: 'service',
    bad: { path: (f) => agentPath(f, '/versions/first') },
    notFound: 'AGENT_NOT_FOUND',
  },
  {
    op: 'diffAgentVersions',
    method: 'get',
    path: (f) => agentPath(f, '/diff?from=1&to=2'),
    ok: 200,
    weaker: 'service',
    bad: { path: (f) => agentPath(f, '/diff?from=zero') },
    notFound: 'AGENT_NOT_FOUND',
  },
  {
    op: 'rollbackAgent',
    method: 'post',
    path: (f) => agentPath(f, '/rollback'),
    body: () => ({ version: 1 }),
    ok: 200,
    weaker: 'viewer',
    bad: { body: { version: 0 } },
    notFound: 'AGENT_NOT_FOUND',
  },
  {
    op: 'listAgentLabels',
    method: 'get',
    path: (f) => agentPath(f, '/labels'),
    ok: 200,
    weaker: 'service',
    bad: { path: () => `${NOT_A_UUID}/labels` },
    notFound: 'AGENT_NOT_FOUND',
  },
  {
    op: 'setAgentLabel',
    method: 'put',
    path: (f) => agentPath(f, '/labels/canary'),
    body: () => ({ version: 1 }),
    ok: 200,
    weaker: 'viewer',
    bad: { body: { version: 'one' } },
    notFound: 'AGENT_NOT_FOUND',
  },
  {
    op: 'deleteAgentLabel',
    method: 'delete',
    path: (f) => agentPath(f, '/labels/staging'),
    ok: 204,
    weaker: 'viewer',
    bad: { path: (f) => agentPath(f, '/labels/Not%20A%20Label') },
    notFound: 'AGENT_NOT_FOUND',
  },
  {
    op: 'listTemplates',
    method: 'get',
    path: () => '/api/v1/templates',
    ok: 200,
    weaker: 'service',
    bad: { path: () => '/api/v1/templates?scope=everyone' },
  },
  {
    op: 'createTemplate',
    method: 'post',
    path: () => '/api/v1/templates',
    body: () => ({ name: `tpl_${Date.now()}` }),
    ok: 201,
    weaker: 'viewer',
    bad: { body: { name: 'x', min_tier: 'gold' } },
  },
  {
    op: 'getTemplate',
    method: 'get',
    path: (f) => templatePath(f),
    ok: 200,
    weaker: 'service',
    bad: { path: () => '/api/v1/templates/42' },
    notFound: 'TEMPLATE_NOT_FOUND',
  },
  {
    op: 'updateTemplate',
    method: 'put',
    path: (f) => templatePath(f),
    body: () => ({ name: 'renamed_template' }),
    ok: 200,
    weaker: 'viewer',
    bad: { body: { description: 'no name' } },
    notFound: 'TEMPLATE_NOT_FOUND',
  },
  {
    op: 'deleteTemplate',
    method: 'delete',
    path: (f) => templatePath(f),
    ok: 204,
    weaker: 'viewer',
    bad: { path: () => '/api/v1/templates/42' },
    notFound: 'TEMPLATE_NOT_FOUND',
  },
  {
    op: 'instantiateTemplate',
    method: 'post',
    path: (f) => templatePath(f, '/instantiate'),
    body: () => ({ name: `inst_${Date.now()}` }),
    ok: 201,
    weaker: 'viewer',
    bad: { body: { name: 'ok', overrides: { tools: 'x' } } },
    notFound: 'TEMPLATE_NOT_FOUND',
  },
];

describe('agent and template routes: happy path, 400, 401, 403 and 404 for each', () => {
  let ctx: TestApp;
  let a: TestTenant;
  let b: TestTenant;

  beforeAll(async () => {
    ctx = await startTestApp();
    a = await createTenant(ctx, { tier: 'pro' });
    b = await createTenant(ctx, { tier: 'pro' });
  });
  afterAll(() => ctx.close());

  /** A fresh agent (two versions, `staging` on 2) and template in tenant A. */
  async function fixture(): Promise<Fixture> {
    const agent = await createAgent(ctx, a);
    const auth = `Bearer ${a.token('editor')}`;
    await ctx.http
      .patch(`/api/v1/agents/${agent.id}`)
      .set('Authorization', auth)
      .send({ system_prompt: 'v2' });
    await ctx.http
      .put(`/api/v1/agents/${agent.id}/labels/staging`)
      .set('Authorization', auth)
      .send({ version: 2 });
    const template = await ctx.http
      .post('/api/v1/templates')
      .set('Authorization', auth)
      .send({ name: `fixture_${agent.id.slice(0, 8)}`, config: { model: 'gpt4' } });
    return { agent, templateId: template.body.id as string };
  }

  it('covers every agent and template route', () => {
    const ours = specOperations(loadSpec())
      .filter((operation) => /^\/api\/v1\/(agents|templates)(\/|$)/.test(operation.path))
      .map((operation) => operation.operationId);
    expect(ROUTES.map((route) => route.op).sort()).toEqual(ours.sort());
  });

  describeRouteMatrix<Fixture, RouteCase>({
    routes: ROUTES,
    env: () => ({ ctx, a, b }),
    roles: { ok: 'editor', bad: 'admin' },
    fixture,
    async untouched(f) {
      const still = await ctx.http.get(agentPath(f)).set('Authorization', `Bearer ${a.token('viewer')}`);
      expect(still.body).toEqual(
        expect.objectContaining({ version: 2, labels: { staging: 2 }, status: 'active' }),
      );
    },
    async unseen(route, f) {
      const list = await ctx.http
        .get(route.path(f).replace(/\/validate$/, ''))
        .set('Authorization', `Bearer ${b.token('viewer')}`);
      const ids = (list.body.items as Array<{ id: string }>).map((item) => item.id);
      expect(ids).not.toContain(f.agent.id);
      expect(ids).not.toContain(f.templateId);
    },
  });
});
