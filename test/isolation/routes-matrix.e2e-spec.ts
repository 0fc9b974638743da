import { AgentJson, createAgent } from '../factories/agent.factory';
import { componentConfigs, putComponent } from '../factories/component.factory';
import { createApiKey, createTenant, TestTenant } from '../factories/tenant.factory';
import { loadSpec, specOperations } from '../helpers/openapi-spec';
import { Answer, describeRouteMatrix, MatrixRoute } from '../helpers/route-matrix';
import { SseClient } from '../helpers/sse-client';
import { startTestApp, TestApp } from '../helpers/test-app';
import { scriptedAgent } from '../runs/run-helpers';

/**
 * What each route acts on, all in tenant A: a fresh agent, component (version 1) and viewer API
 * key, and an agent shared by every fixture that has one completed run.
 */
interface Fixture {
  agent: AgentJson;
  component: string;
  keyId: string;
  ranAgentId: string;
}

type RouteCase = MatrixRoute<Fixture>;

const BAD_NAME = 'bad%20name!';
const componentPath = (f: Fixture, rest = '') => `/api/v1/config/${f.component}${rest}`;
const keyPath = (f: Fixture) => `/api/v1/api-keys/${f.keyId}`;
const itemsOf = (res: Answer, field: string) => res.body[field] as Array<Record<string, unknown>>;

const ROUTES: RouteCase[] = [
  {
    op: 'listComponents',
    method: 'get',
    path: () => '/api/v1/config',
    ok: 200,
    weaker: 'service',
    bad: { path: () => '/api/v1/config?type=widget' },
    answer: (res, f) => expect(itemsOf(res, 'configs').map((c) => c.name)).toContain(f.component),
  },
  {
    op: 'getConfigCacheStats',
    method: 'get',
    path: () => '/api/v1/config/cache/stats',
    ok: 200,
    weaker: 'service',
    bad: 'no input',
  },
  {
    op: 'getComponent',
    method: 'get',
    path: (f) => componentPath(f),
    ok: 200,
    weaker: 'service',
    bad: { path: () => `/api/v1/config/${BAD_NAME}` },
    notFound: 'COMPONENT_NOT_FOUND',
    answer: (res) => expect(res.headers.etag).toBe('"1"'),
  },
  {
    op: 'getComponentHistory',
    method: 'get',
    path: (f) => componentPath(f, '/history'),
    ok: 200,
    weaker: 'service',
    bad: { path: (f) => componentPath(f, '/history?limit=0') },
    notFound: 'COMPONENT_NOT_FOUND',
    answer: (res) => expect(res.body.total).toBe(1),
  },
  {
    op: 'putComponent',
    method: 'put',
    path: (f) => componentPath(f),
    body: () => ({ config: componentConfigs.memory({ session_window: { max_messages: 5 } }) }),
    ok: 200,
    weaker: 'viewer',
    bad: { body: { config: 'text' } },
    answer: (res) => expect(res.body.version).toBe(2),
  },
  {
    op: 'deleteComponent',
    method: 'delete',
    path: (f) => componentPath(f),
    ok: 204,
    weaker: 'viewer',
    bad: { path: () => `/api/v1/config/${BAD_NAME}` },
    notFound: 'COMPONENT_NOT_FOUND',
  },
  {
    op: 'createApiKey',
    method: 'post',
    path: () => '/api/v1/api-keys',
    body: () => ({ name: 'matrix', role: 'viewer' }),
    ok: 201,
    weaker: 'editor',
    bad: { body: { name: 'matrix', role: 'superuser' } },
    answer: (res) => expect(res.body.key).toMatch(/^agt_/),
  },
  {
    op: 'listApiKeys',
    method: 'get',
    path: () => '/api/v1/api-keys',
    ok: 200,
    weaker: 'editor',
    bad: { path: () => '/api/v1/api-keys?limit=0' },
    answer: (res, f) => expect(itemsOf(res, 'items').map((k) => k.id)).toContain(f.keyId),
  },
  {
    op: 'getApiKey',
    method: 'get',
    path: (f) => keyPath(f),
    ok: 200,
    weaker: 'editor',
    bad: { path: () => '/api/v1/api-keys/not-a-uuid' },
    notFound: 'API_KEY_NOT_FOUND',
  },
  {
    op: 'revokeApiKey',
    method: 'delete',
    path: (f) => keyPath(f),
    ok: 204,
    weaker: 'editor',
    bad: { path: () => '/api/v1/api-keys/not-a-uuid' },
    notFound: 'API_KEY_NOT_FOUND',
  },
  {
    op: 'listAuditEntries',
    method: 'get',
    path: () => '/api/v1/audit?limit=100',
    ok: 200,
    weaker: 'editor',
    bad: { path: () => '/api/v1/audit?from=yesterday' },
    answer: (res, f) =>
      expect(itemsOf(res, 'items').map((entry) => entry.resource_id)).toEqual(
        expect.arrayContaining([f.agent.id, f.keyId]),
      ),
  },
  {
    op: 'getAgentMetrics',
    method: 'get',
    path: (f) => `/api/v1/metrics/agents/${f.ranAgentId}`,
    ok: 200,
    weaker: 'service',
    bad: { path: (f) => `/api/v1/metrics/agents/${f.ranAgentId}?granularity=minute` },
    notFound: 'AGENT_NOT_FOUND',
    answer: (res) => expect(res.body.metrics.total_runs).toBe(1),
  },
  {
    op: 'getSystemMetrics',
    method: 'get',
    path: () => '/api/v1/metrics/system',
    ok: 200,
    weaker: 'service',
    bad: 'no input',
    answer: (res) => expect(res.body).toEqual(expect.objectContaining({ scope: 'tenant', total_runs: 1 })),
  },
  {
    op: 'streamEvents',
    method: 'get',
    path: () => '/api/v1/events/stream',
    ok: 200,
    weaker: 'service',
    bad: { path: () => '/api/v1/events/stream?after=-1' },
    stream: true,
  },
  {
    op: 'getInternalAgentConfig',
    method: 'get',
    path: (f) => `/internal/v1/agents/${f.agent.id}/config`,
    ok: 200,
    as: 'service',
    weaker: 'owner',
    bad: { path: (f) => `/internal/v1/agents/${f.agent.id}/config?version=zero` },
    notFound: 'AGENT_NOT_FOUND',
    answer: (res, f) => expect(res.body.agent_id).toBe(f.agent.id),
  },
  {
    op: 'getInternalConfigAll',
    method: 'get',
    path: () => '/internal/v1/config/all',
    ok: 200,
    as: 'service',
    weaker: 'owner',
    bad: 'no input',
    answer: (res, f) => expect(JSON.stringify(res.body)).toContain(f.agent.id),
  },
  {
    op: 'listInternalChanges',
    method: 'get',
    path: () => '/internal/v1/changes?limit=1000',
    ok: 200,
    as: 'service',
    weaker: 'owner',
    bad: { path: () => '/internal/v1/changes?after=-1' },
    answer: (res, f) => expect(JSON.stringify(res.body)).toContain(f.agent.id),
  },
  {
    op: 'streamInternalChanges',
    method: 'get',
    path: () => '/internal/v1/changes/stream',
    ok: 200,
    as: 'service',
    weaker: 'owner',
    bad: { path: () => '/internal/v1/changes/stream?after=abc' },
    stream: true,
  },
  {
    op: 'getInternalConfigVersion',
    method: 'get',
    path: () => '/internal/v1/config/version',
    ok: 200,
    as: 'service',
    weaker: 'owner',
    bad: 'no input',
    answer: (res) => expect(res.body.version).toBeGreaterThan(0),
  },
];

/** The operations this file covers: every one under these prefixes in openapi.json. */
const COVERED = /^\/(api\/v1\/(config|api-keys|audit|metrics|events)|internal\/v1)(\/|$)/;

describe('component, API key, audit, metrics, change feed and internal routes: happy path, 400, 401, 403 and 404 for each', () => {
  let ctx: TestApp;
  let a: TestTenant;
  let b: TestTenant;
  let ranAgentId: string;
  let fixtures = 0;

  beforeAll(async () => {
    ctx = await startTestApp();
    a = await createTenant(ctx, { tier: 'pro' });
    b = await createTenant(ctx, { tier: 'pro' });
    const ran = await scriptedAgent(ctx, a, ['hi']);
    const chat = await ctx.http
      .post('/api/v1/chat')
      .set('Authorization', `Bearer ${a.token('operator')}`)
      .send({ agent_id: ran.id, message: 'hello' });
    expect(chat.status).toBe(200);
    ranAgentId = ran.id;
  });
  afterAll(() => ctx.close());

  const as = (tenant: TestTenant, role: 'owner' | 'service' = 'owner') => `Bearer ${tenant.token(role)}`;

  async function fixture(): Promise<Fixture> {
    const component = `matrix_${++fixtures}`;
    const [agent, , key] = await Promise.all([
      createAgent(ctx, a),
      putComponent(ctx, a, component, componentConfigs.memory()),
      createApiKey(ctx, a, 'viewer'),
    ]);
    return { agent, component, keyId: key.id, ranAgentId };
  }

  /** Everything a fixture names, as it was made: B's requests changed none of it. */
  async function untouched(f: Fixture): Promise<void> {
    const [component, key, agent] = await Promise.all([
      ctx.http.get(componentPath(f)).set('Authorization', as(a)),
      ctx.http.get(keyPath(f)).set('Authorization', as(a)),
      ctx.http.get(`/api/v1/agents/${f.agent.id}`).set('Authorization', as(a)),
    ]);
    expect([component.status, component.body.version]).toEqual([200, 1]);
    expect([key.status, key.body.revoked_at]).toEqual([200, null]);
    expect([agent.status, agent.body.version]).toEqual([200, f.agent.version]);
  }

  /** What would give A away in an answer to B. */
  const secretsOf = (f: Fixture) => [a.id, f.agent.id, f.agent.name, f.component, f.keyId, f.ranAgentId];

  /**
   * B follows its own change stream from the start until a change it makes now arrives: none of
   * the events before it is A's.
   */
  async function streamUnseen(path: string, f: Fixture): Promise<void> {
    const stream = await SseClient.open(`${ctx.url}${path}?after=0`, {
      Authorization: as(b, path.startsWith('/internal') ? 'service' : 'owner'),
    });
    try {
      expect(stream.status).toBe(200);
      const marker = await createAgent(ctx, b);
      const deadline = Date.now() + 10_000;
      while (!stream.events.some((event) => event.data.includes(marker.id))) {
        await stream.waitFor(stream.events.length + 1, deadline - Date.now());
      }
      const text = stream.events.map((event) => event.data).join('\n');
      for (const secret of secretsOf(f)) expect(text).not.toContain(secret);
    } finally {
      stream.close();
    }
  }

  it('covers every component, API key, audit, metrics, change feed and internal route', () => {
    const ours = specOperations(loadSpec())
      .filter((operation) => COVERED.test(operation.path))
      .map((operation) => operation.operationId);
    expect(ROUTES.map((route) => route.op).sort()).toEqual(ours.sort());
  });

  it('leaves no operation of openapi.json outside a route matrix but the public health probes', () => {
    const matrices = [
      /^\/api\/v1\/(agents|templates)(\/|$)/, // test/agents/routes-matrix.e2e-spec.ts
      /^\/api\/v1\/(runs|checkpoints|chat)(\/|$)/, // test/runs/routes-matrix.e2e-spec.ts
      /^\/api\/v1\/(tenants|platform)(\/|$)/, // test/tenants/routes-matrix.e2e-spec.ts
      COVERED, // this file
    ];
    const outside = specOperations(loadSpec())
      .filter((operation) => !matrices.some((prefix) => prefix.test(operation.path)))
      .map(
        (operation) =>
          `${operation.method.toUpperCase()} ${operation.path} ${operation.permission ?? 'public'}`,
      );
    expect(outside.sort()).toEqual([
      'GET /api/v1/health public',
      'GET /api/v1/health/live public',
      'GET /api/v1/health/ready public',
    ]);
  });

  it("declares 'no input' only for routes that take no parameter and no body", () => {
    const byId = new Map(specOperations(loadSpec()).map((operation) => [operation.operationId, operation]));
    const inputs = ROUTES.filter((route) => route.bad === 'no input').map((route) => {
      const operation = byId.get(route.op);
      return { op: route.op, parameters: operation?.parameters.length, body: operation?.requestBody };
    });
    expect(inputs.length).toBeGreaterThan(0);
    for (const input of inputs) expect(input).toEqual({ op: input.op, parameters: 0, body: undefined });
  });

  describeRouteMatrix<Fixture, RouteCase>({
    routes: ROUTES,
    env: () => ({ ctx, a, b }),
    roles: { ok: 'owner', bad: 'owner' },
    fixture: () => fixture(),
    untouched,
    async unseen(route, f, res) {
      if (route.stream) {
        await streamUnseen(route.path(f), f);
      } else if (route.op === 'putComponent') {
        // B made a component of its own under the same name.
        expect(res.body.version).toBe(1);
      } else {
        for (const secret of secretsOf(f)) expect(res.text).not.toContain(secret);
      }
      if (route.op === 'getSystemMetrics') expect(res.body.total_runs).toBe(0);
      await untouched(f);
    },
  });
});
