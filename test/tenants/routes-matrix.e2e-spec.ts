import { randomBytes } from 'node:crypto';
import type { Response } from 'supertest';
import { createApiKey, createTenant } from '../factories/tenant.factory';
import { expectError } from '../helpers/envelope';
import { loadSpec, specOperations } from '../helpers/openapi-spec';
import { startTestApp, TestApp } from '../helpers/test-app';
import { platformToken } from '../helpers/tokens';

/** What each route acts on: a tenant, a platform service key, and an API key of that tenant. */
interface Fixture {
  tenantId: string;
  keyId: string;
  tenantKeyId: string;
  /** The tenant's owner, as a JWT and as an API key: neither holds tenant:manage. */
  owner: Array<Record<string, string>>;
}

interface PlatformRoute {
  op: string;
  method: 'get' | 'post' | 'patch' | 'delete';
  path: (f: Fixture) => string;
  body?: () => object;
  ok: number;
  bad: { path?: (f: Fixture) => string; body?: object };
  /** A path naming nothing this route acts on, and the 404 it gets (the fixture stays as it was). */
  missing?: { path: (f: Fixture) => string; code: string };
  answer?: (res: Response, f: Fixture) => void;
}

const UNKNOWN = '00000000-0000-4000-8000-000000000000';
const tenantPath = (id: string, rest = '') => `/api/v1/tenants/${id}${rest}`;
const keysPath = '/api/v1/platform/service-keys';
const slug = () => `m-${randomBytes(4).toString('hex')}`;

const ROUTES: PlatformRoute[] = [
  {
    op: 'listTenants',
    method: 'get',
    path: () => '/api/v1/tenants?limit=100',
    ok: 200,
    bad: { path: () => '/api/v1/tenants?limit=0' },
    answer: (res, f) => expect(res.body.items.map((t: { id: string }) => t.id)).toContain(f.tenantId),
  },
  {
    op: 'createTenant',
    method: 'post',
    path: () => '/api/v1/tenants',
    body: () => ({ slug: slug(), name: 'Matrix' }),
    ok: 201,
    bad: { body: { slug: 'Not A Slug', name: 'Matrix' } },
  },
  {
    op: 'getTenant',
    method: 'get',
    path: (f) => tenantPath(f.tenantId),
    ok: 200,
    bad: { path: () => tenantPath('nope') },
    missing: { path: () => tenantPath(UNKNOWN), code: 'TENANT_NOT_FOUND' },
    answer: (res, f) => expect(res.body.id).toBe(f.tenantId),
  },
  {
    op: 'updateTenant',
    method: 'patch',
    path: (f) => tenantPath(f.tenantId),
    body: () => ({ name: 'Renamed' }),
    ok: 200,
    bad: { body: { tier: 'gold' } },
    missing: { path: () => tenantPath(UNKNOWN), code: 'TENANT_NOT_FOUND' },
    answer: (res) => expect(res.body.name).toBe('Renamed'),
  },
  {
    op: 'deactivateTenant',
    method: 'post',
    path: (f) => tenantPath(f.tenantId, '/deactivate'),
    ok: 200,
    bad: { path: () => tenantPath('nope', '/deactivate') },
    missing: { path: () => tenantPath(UNKNOWN, '/deactivate'), code: 'TENANT_NOT_FOUND' },
    answer: (res) => expect(res.body.active).toBe(false),
  },
  {
    op: 'activateTenant',
    method: 'post',
    path: (f) => tenantPath(f.tenantId, '/activate'),
    ok: 200,
    bad: { path: () => tenantPath('nope', '/activate') },
    missing: { path: () => tenantPath(UNKNOWN, '/activate'), code: 'TENANT_NOT_FOUND' },
    answer: (res) => expect(res.body.active).toBe(true),
  },
  {
    op: 'createPlatformKey',
    method: 'post',
    path: () => keysPath,
    body: () => ({ name: 'executor-matrix' }),
    ok: 201,
    bad: { body: { name: 'executor-matrix', expires_at: '2001-01-01T00:00:00Z' } },
    answer: (res) => expect(res.body.key).toMatch(/^agt_/),
  },
  {
    op: 'listPlatformKeys',
    method: 'get',
    path: () => `${keysPath}?limit=100`,
    ok: 200,
    bad: { path: () => `${keysPath}?limit=0` },
    answer: (res, f) => expect(res.body.items.map((k: { id: string }) => k.id)).toContain(f.keyId),
  },
  {
    op: 'listPlatformAuditEntries',
    method: 'get',
    path: () => '/api/v1/platform/audit?limit=100',
    ok: 200,
    bad: { path: () => '/api/v1/platform/audit?from=2026-02-30' },
    answer: (res, f) =>
      expect(res.body.items).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ action: 'platform_key.created', resource_id: f.keyId }),
        ]),
      ),
  },
  {
    op: 'revokePlatformKey',
    method: 'delete',
    path: (f) => `${keysPath}/${f.keyId}`,
    ok: 204,
    bad: { path: () => `${keysPath}/not-a-uuid` },
    // A tenant's own key is no platform key: the operator cannot revoke it through this route.
    missing: { path: (f) => `${keysPath}/${f.tenantKeyId}`, code: 'API_KEY_NOT_FOUND' },
  },
];

describe('tenant and platform key routes: happy path, 400, 401, 403 and 404 for each', () => {
  let ctx: TestApp;
  const operator = () => ({ Authorization: `Bearer ${platformToken()}` });

  beforeAll(async () => {
    ctx = await startTestApp();
  });
  afterAll(() => ctx.close());

  async function fixture(): Promise<Fixture> {
    const tenant = await createTenant(ctx, { components: false, name: 'Matrix tenant' });
    const [key, tenantKey, ownerKey] = await Promise.all([
      ctx.http.post(keysPath).set(operator()).send({ name: 'executor' }),
      createApiKey(ctx, tenant, 'viewer'),
      createApiKey(ctx, tenant, 'owner'),
    ]);
    expect(key.status).toBe(201);
    return {
      tenantId: tenant.id,
      keyId: key.body.id as string,
      tenantKeyId: tenantKey.id,
      owner: [{ Authorization: `Bearer ${tenant.token('owner')}` }, { 'X-API-Key': ownerKey.key }],
    };
  }

  /** The fixture as it was made: the tenant active under its name, both keys unrevoked. */
  async function untouched(f: Fixture): Promise<void> {
    const tenant = await ctx.http.get(tenantPath(f.tenantId)).set(operator());
    expect([tenant.status, tenant.body.active, tenant.body.name]).toEqual([200, true, 'Matrix tenant']);
    const keys = await ctx.http.get(`${keysPath}?limit=100`).set(operator());
    expect(keys.body.items.find((k: { id: string }) => k.id === f.keyId)?.revoked_at).toBeNull();
    const tenantKey = await ctx.http.get(`/api/v1/api-keys/${f.tenantKeyId}`).set(f.owner[0]);
    expect([tenantKey.status, tenantKey.body.revoked_at]).toEqual([200, null]);
  }

  function send(route: PlatformRoute, headers: Record<string, string>, path: string, body = route.body?.()) {
    const req = ctx.http[route.method](path).set(headers);
    return body === undefined ? req : req.send(body);
  }

  it('covers every tenant and platform key route', () => {
    const ours = specOperations(loadSpec())
      .filter((operation) => /^\/api\/v1\/(tenants|platform)(\/|$)/.test(operation.path))
      .map((operation) => operation.operationId);
    expect(ROUTES.map((route) => route.op).sort()).toEqual(ours.sort());
  });

  describe.each(ROUTES)('$op', (route) => {
    let f: Fixture;
    beforeAll(async () => {
      f = await fixture();
    });

    it(`answers ${route.ok} to a platform operator`, async () => {
      const fresh = await fixture();
      if (route.op === 'activateTenant') {
        expect((await send(route, operator(), tenantPath(fresh.tenantId, '/deactivate'))).status).toBe(200);
      }
      const res = await send(route, operator(), route.path(fresh));
      expect({ status: res.status, body: res.body }).toEqual({ status: route.ok, body: expect.anything() });
      route.answer?.(res, fresh);
    });

    it('answers 400 VALIDATION_FAILED on bad input', async () => {
      const res = await send(
        route,
        operator(),
        route.bad.path?.(f) ?? route.path(f),
        route.bad.body ?? route.body?.(),
      );
      expectError(res, 400, 'VALIDATION_FAILED');
    });

    it('answers 401 UNAUTHENTICATED without credentials', async () => {
      expectError(await send(route, {}, route.path(f)), 401, 'UNAUTHENTICATED');
    });

    it("answers 403 FORBIDDEN to a tenant's owner, by JWT and by API key", async () => {
      for (const headers of f.owner) expectError(await send(route, headers, route.path(f)), 403, 'FORBIDDEN');
      await untouched(f);
    });

    if (route.missing) {
      const missing = route.missing;
      it(`answers 404 ${missing.code} for what it does not act on`, async () => {
        expectError(await send(route, operator(), missing.path(f)), 404, missing.code);
        await untouched(f);
      });
    }
  });
});
