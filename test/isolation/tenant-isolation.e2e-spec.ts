import { randomBytes, randomUUID } from 'node:crypto';
import {
  permissionsFor,
  ROLES,
  Role,
  TENANTLESS_PERMISSIONS,
  Permission,
} from '../../src/shared/auth/permissions';
import { createAgent } from '../factories/agent.factory';
import { componentConfigs, putComponent } from '../factories/component.factory';
import { createApiKey, createTenant, TestTenant } from '../factories/tenant.factory';
import { DeclaredRoute, declaredRoutes } from '../helpers/route-table';
import {
  deref,
  loadSpec,
  minimalValue,
  OpenApiDocument,
  SpecOperation,
  specOperations,
  toSpecPath,
} from '../helpers/openapi-spec';
import { startTestApp, TestApp } from '../helpers/test-app';
import { scriptedAgent } from '../runs/run-helpers';

/**
 * Tenant B, with every role, as a user (JWT) and as an API key of that role (the `service` key is
 * the one /internal admits), calls every route of the app's route table with tenant A's ids (and
 * lists, streams and searches that could surface A's rows). Nothing here names a route: a new route
 * is swept from the route table, its body taken from openapi.json.
 */

/** A's resources; every one carries MARKER in a text field so a leak shows in any body. */
interface FixtureA {
  tenant: TestTenant;
  agentId: string;
  agentName: string;
  templateId: string;
  componentName: string;
  apiKeyId: string;
  runId: string;
  sessionId: string;
  checkpointId: string;
}

/** Ids made up for parameters no fixture covers: A cannot read those either. */
const unfixtured = new Set<string>();

const MARKER = `isolation-marker-${randomBytes(6).toString('hex')}`;

/** A's value for a path parameter, by the collection it follows (`/agents/:id`) or its own name. */
function paramValue(a: FixtureA, route: string, param: string): string[] {
  const segments = route.split('/');
  const index = segments.indexOf(`:${param}`);
  const collection = segments[index - 1];
  if (param === 'version') return ['1'];
  if (param === 'label') return ['staging'];
  if (param === 'idOrName') return [a.agentId, a.agentName];
  const byCollection: Record<string, string> = {
    agents: a.agentId,
    templates: a.templateId,
    config: a.componentName,
    'api-keys': a.apiKeyId,
    runs: a.runId,
    checkpoints: a.checkpointId,
    tenants: a.tenant.id,
  };
  if (byCollection[collection]) return [byCollection[collection]];
  // A collection without a fixture yet (a route added since) is still swept, with an unknown id.
  const unknown = randomUUID();
  unfixtured.add(unknown);
  return [unknown];
}

/** Every concrete URL of a route with A's ids in place of its parameters. */
function urlsFor(a: FixtureA, route: DeclaredRoute): string[] {
  const params = [...route.path.matchAll(/:(\w+)/g)].map((m) => m[1]);
  let urls = [route.path];
  for (const param of params) {
    const values = paramValue(a, route.path, param);
    urls = urls.flatMap((url) => values.map((value) => url.replace(`:${param}`, encodeURIComponent(value))));
  }
  return urls;
}

/** Query parameters that name a resource get A's ids, so a filter cannot reach across tenants. */
function crossTenantQuery(a: FixtureA, op: SpecOperation | undefined): Record<string, string> {
  const query: Record<string, string> = {};
  for (const param of op?.parameters ?? []) {
    if (param.in !== 'query') continue;
    if (param.name === 'agent_id' || param.name === 'resource_id') query[param.name] = a.agentId;
    else if (param.name === 'session_id') query[param.name] = a.sessionId;
    else if (param.name === 'after') query[param.name] = '0';
    else if (param.required) query[param.name] = String(minimalValue(specOf, param.schema));
  }
  return query;
}

/** A body the validation pipe accepts, pointing at A's resources where the schema names one. */
function bodyFor(a: FixtureA, op: SpecOperation | undefined): Record<string, unknown> | undefined {
  if (!op?.requestBody) return undefined;
  const schema = deref(specOf, op.requestBody);
  const body = (minimalValue(specOf, schema) ?? {}) as Record<string, unknown>;
  // A free-form component config: the smallest one the config module accepts. Checked only: a
  // saved PUT /config/:name would create B's own component of A's name (names are per tenant),
  // which B may then delete and whose events name it, all legitimately.
  if (schema.properties?.config && body.config !== undefined && op.path.startsWith('/api/v1/config/')) {
    body.config = componentConfigs.tool();
    body.validate_only = true;
  }
  if (schema.properties?.agent_id) body.agent_id = a.agentId;
  if (schema.properties?.version && op.path.includes('{id}')) body.version = 1;
  return body;
}

let specOf: OpenApiDocument;

/** One of B's principals: a JWT or an API key, with the one role it acts with. */
interface Caller {
  name: string;
  role: Role;
  headers: Record<string, string>;
}

function holds(role: Role, permission: string | undefined): boolean {
  return permissionsFor([role], false).has(permission as Permission);
}

describe('tenant isolation sweep (generated from the route table)', () => {
  let ctx: TestApp;
  let a: FixtureA;
  let b: TestTenant;
  /** B as a user of every role, then as an API key of every role. */
  let callers: Caller[];
  let routes: DeclaredRoute[];
  let ops: Map<string, SpecOperation>;
  /** A's own view of every readable resource, before B's sweep. */
  const before = new Map<string, [Record<string, string>, unknown]>();

  async function readAsA(url: string, query: Record<string, string>): Promise<unknown> {
    const res = await ctx.http
      .get(url)
      .query(query)
      .set('Authorization', `Bearer ${a.tenant.token('owner')}`);
    return { status: res.status, body: res.body as unknown };
  }

  /** GET routes with parameters, as A reads them (streams left out: they never end). */
  function readableUrls(): Array<[string, Record<string, string>]> {
    return routes
      .filter((r) => r.method === 'GET' && r.path.includes(':') && !r.path.endsWith('/stream'))
      .filter((r) => r.access !== 'public' && r.access !== Permission.InternalRead)
      .filter(
        (r) => !TENANTLESS_PERMISSIONS.has(r.access as Permission) || r.access === Permission.MetricsRead,
      )
      .flatMap((r) => {
        const query = crossTenantQuery(a, ops.get(`GET ${toSpecPath(r.path)}`));
        return urlsFor(a, r).map((url): [string, Record<string, string>] => [url, query]);
      });
  }

  beforeAll(async () => {
    specOf = loadSpec();
    ops = new Map(specOperations(specOf).map((op) => [`${op.method} ${op.path}`, op]));
    ctx = await startTestApp();
    routes = declaredRoutes(ctx.app).filter((r) => r.access !== 'public');
    const tenantA = await createTenant(ctx, { tier: 'enterprise' });
    b = await createTenant(ctx, { tier: 'enterprise' });
    const agent = await createAgent(ctx, tenantA, {
      system_prompt: `A's prompt ${MARKER}`,
      description: MARKER,
    });
    const editor = `Bearer ${tenantA.token('editor')}`;
    const patched = await ctx.http
      .patch(`/api/v1/agents/${agent.id}`)
      .set('Authorization', editor)
      .send({ description: `${MARKER} v2` });
    expect(patched.status).toBe(200);
    const label = await ctx.http
      .put(`/api/v1/agents/${agent.id}/labels/staging`)
      .set('Authorization', editor)
      .send({ version: 1 });
    expect(label.status).toBe(200);
    const template = await ctx.http
      .post('/api/v1/templates')
      .set('Authorization', editor)
      .send({ name: `tpl_${randomBytes(3).toString('hex')}`, description: MARKER });
    expect(template.status).toBe(201);
    const componentName = `iso-${randomBytes(3).toString('hex')}`;
    await putComponent(ctx, tenantA, componentName, componentConfigs.tool({ description: MARKER }));
    const apiKey = await createApiKey(ctx, tenantA, 'viewer');
    const runner = await scriptedAgent(ctx, tenantA, [{ content: `reply ${MARKER}` }]);
    const chat = await ctx.http
      .post('/api/v1/chat')
      .set('Authorization', `Bearer ${tenantA.token('operator')}`)
      .send({ agent_id: runner.id, message: `hello ${MARKER}`, stream: false });
    expect(chat.status).toBe(200);
    const checkpoint = await ctx.http
      .post(`/api/v1/runs/${chat.body.run_id}/checkpoints`)
      .set('Authorization', `Bearer ${tenantA.token('operator')}`)
      .send({ description: MARKER });
    expect(checkpoint.status).toBe(201);
    a = {
      tenant: tenantA,
      agentId: agent.id,
      agentName: agent.name,
      templateId: template.body.id,
      componentName,
      apiKeyId: apiKey.id,
      runId: chat.body.run_id,
      sessionId: chat.body.session_id,
      checkpointId: checkpoint.body.id ?? checkpoint.body.checkpoint_id,
    };
    expect(a.checkpointId).toEqual(expect.any(String));
    const keys = await Promise.all(ROLES.map((role) => createApiKey(ctx, b, role)));
    callers = [
      ...ROLES.map((role) => ({
        name: `jwt ${role}`,
        role,
        headers: { Authorization: `Bearer ${b.token(role)}` },
      })),
      ...ROLES.map((role, i) => ({ name: `key ${role}`, role, headers: { 'X-API-Key': keys[i].key } })),
    ];
    for (const [url, query] of readableUrls()) {
      const first = await readAsA(url, query);
      // Reads that move by themselves (a metrics window ending now) cannot show a change by B.
      if (JSON.stringify(first) === JSON.stringify(await readAsA(url, query)))
        before.set(url, [query, first]);
    }
  });
  afterAll(() => ctx?.close());

  it('A can read every one of its own resources (so the sweep below is not vacuous)', () => {
    const unread = [...before.entries()]
      .filter(([, [, read]]) => (read as { status: number }).status !== 200)
      // Routes whose parameters have no fixture (added since) read 404 for A too.
      .filter(([url]) => ![...unfixtured].some((id) => url.includes(id)));
    expect(unread.map(([url, [, read]]) => `${url} -> ${JSON.stringify(read)}`)).toEqual([]);
    expect(before.size).toBeGreaterThan(10);
    expect(JSON.stringify([...before.values()])).toContain(MARKER);
  });

  it("B, with every role as a JWT and as an API key, gets 404 (or 403 for its role) for every route on A's resources, never data", async () => {
    const failures: string[] = [];
    let swept = 0;
    let internalByServiceKey = 0;
    for (const route of routes.filter((r) => r.path.includes(':'))) {
      const op = ops.get(`${route.method} ${toSpecPath(route.path)}`);
      for (const { name, role, headers } of callers) {
        for (const url of urlsFor(a, route)) {
          const res = await ctx.http[route.method.toLowerCase() as 'get'](url)
            .set(headers)
            .query(crossTenantQuery(a, op))
            .timeout({ response: 10_000, deadline: 15_000 })
            .send(bodyFor(a, op) as object);
          swept++;
          if (name === 'key service' && route.access === Permission.InternalRead && res.status === 404)
            internalByServiceKey++;
          const what = `${name} ${route.method} ${url} -> ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`;
          const text = JSON.stringify(res.body ?? '') + (res.text ?? '');
          if (text.includes(MARKER) || text.includes(a.tenant.slug)) failures.push(`leaked: ${what}`);
          if (res.status >= 500) failures.push(`5xx: ${what}`);
          const canCall = holds(role, route.access);
          // Without a 404 in the spec (an upsert such as PUT /config/:name acts on B's own name) or
          // without the operation in openapi.json yet (no body to build), only the leak and 5xx
          // checks apply; A's unchanged reads below still hold the line.
          const upsert = op ? !op.responses['404'] : route.method !== 'GET' && route.method !== 'DELETE';
          const expected = !canCall ? 403 : upsert ? undefined : 404;
          if (expected !== undefined && res.status !== expected)
            failures.push(`expected ${expected}: ${what}`);
          if (expected === undefined && res.status < 400 && route.method === 'GET')
            failures.push(`read succeeded: ${what}`);
          if (res.status >= 400 && typeof res.body?.error?.code !== 'string')
            failures.push(`no envelope: ${what}`);
        }
      }
    }
    expect(failures).toEqual([]);
    expect(swept).toBeGreaterThan(200);
    // B's service key (what execution services call with) was admitted to /internal and found nothing.
    expect(internalByServiceKey).toBeGreaterThan(0);
  });

  it("B's lists, searches and filters naming A's ids return none of A's rows", async () => {
    const failures: string[] = [];
    const aIds = [a.agentId, a.templateId, a.apiKeyId, a.runId, a.checkpointId, a.componentName, a.tenant.id];
    const lists = routes.filter(
      (r) => r.method === 'GET' && !r.path.includes(':') && !r.path.endsWith('/stream'),
    );
    expect(lists.length).toBeGreaterThan(5);
    for (const route of lists) {
      const op = ops.get(`${route.method} ${toSpecPath(route.path)}`);
      for (const { name, role, headers } of callers) {
        const res = await ctx.http.get(route.path).set(headers).query(crossTenantQuery(a, op));
        const what = `${name} GET ${route.path} -> ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`;
        const text = JSON.stringify(res.body ?? '') + (res.text ?? '');
        // A list echoes no request input, so any of A's ids in it is A's row.
        for (const id of [MARKER, a.tenant.slug, ...aIds])
          if (text.includes(id)) failures.push(`leaked ${id}: ${what}`);
        if (res.status >= 500) failures.push(`5xx: ${what}`);
        if (!holds(role, route.access) && res.status !== 403) failures.push(`expected 403: ${what}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it("B's change streams, replayed from the start, carry none of A's events", async () => {
    const streams = routes.filter(
      (r) => r.method === 'GET' && !r.path.includes(':') && r.path.endsWith('/stream'),
    );
    expect(streams.length).toBeGreaterThan(0);
    for (const route of streams) {
      for (const { name, headers } of callers.filter((c) => holds(c.role, route.access))) {
        const abort = new AbortController();
        const res = await fetch(`${ctx.url}${route.path}?after=0`, {
          headers: { ...headers, 'Last-Event-ID': '0' },
          signal: abort.signal,
        });
        expect({ route: route.path, name, status: res.status }).toEqual({
          route: route.path,
          name,
          status: 200,
        });
        let text = '';
        const reader = res.body!.getReader();
        // The backlog is written at once; read until a keep-alive or a pause, then stop.
        const stop = setTimeout(() => abort.abort(), 1_000);
        try {
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            text += Buffer.from(value).toString();
          }
        } catch {
          // aborted: the stream stays open by design
        } finally {
          clearTimeout(stop);
        }
        for (const id of [MARKER, a.agentId, a.templateId, a.componentName, a.tenant.id])
          expect({ route: route.path, name, leaked: text.includes(id) }).toEqual({
            route: route.path,
            name,
            leaked: false,
          });
      }
    }
  });

  it("B's writes aimed at A's resources changed nothing A can see", async () => {
    const changed: string[] = [];
    for (const [url, [query, read]] of before) {
      const now = await readAsA(url, query);
      if (JSON.stringify(now) !== JSON.stringify(read)) changed.push(url);
    }
    expect(changed).toEqual([]);
  });
});
