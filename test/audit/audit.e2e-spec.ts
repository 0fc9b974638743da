import { createApiKey, createTenant, TestTenant } from '../factories/tenant.factory';
import { expectError } from '../helpers/envelope';
import { startTestApp, TestApp } from '../helpers/test-app';

interface AuditEntry {
  id: string;
  actor: string;
  action: string;
  resource_type: string;
  resource_id: string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  request_id: string | null;
  created_at: string;
}

describe('audit log', () => {
  let ctx: TestApp;
  let tenant: TestTenant;
  let other: TestTenant;
  let keyId: string;
  let plainKey: string;
  let viaKeyId: string;
  let adminKey: { id: string; key: string };

  const asAdmin = () => ({ Authorization: `Bearer ${tenant.token('admin')}` });
  const list = async (query: string, t: TestTenant = tenant) => {
    const res = await ctx.http
      .get(`/api/v1/audit?${query}`)
      .set('Authorization', `Bearer ${t.token('admin')}`);
    expect(res.status).toBe(200);
    return res.body as { total: number; limit: number; offset: number; items: AuditEntry[] };
  };

  beforeAll(async () => {
    ctx = await startTestApp();
    tenant = await createTenant(ctx);
    other = await createTenant(ctx);

    const created = await ctx.http
      .post('/api/v1/api-keys')
      .set(asAdmin())
      .set('X-Request-Id', 'audit-create-1')
      .send({ name: 'audited', role: 'viewer' });
    expect(created.status).toBe(201);
    keyId = created.body.id;
    plainKey = created.body.key;
    const revoked = await ctx.http
      .delete(`/api/v1/api-keys/${keyId}`)
      .set(asAdmin())
      .set('X-Request-Id', 'audit-revoke-1');
    expect(revoked.status).toBe(204);

    // One change made by an API key rather than a user.
    adminKey = await createApiKey(ctx, tenant, 'admin');
    const viaKey = await ctx.http
      .post('/api/v1/api-keys')
      .set('X-API-Key', adminKey.key)
      .set('X-Request-Id', 'audit-by-key')
      .send({ name: 'made by a key', role: 'viewer' });
    expect(viaKey.status).toBe(201);
    viaKeyId = viaKey.body.id;
    // Activity in another tenant, which must never show here.
    await createApiKey(ctx, other, 'viewer');
  });
  afterAll(() => ctx.close());

  it('records key creation and revocation with actor, before/after and the request id', async () => {
    const { items, total } = await list(`resource_type=api_key&resource_id=${keyId}`);
    expect(total).toBe(2);
    const [revocation, creation] = items; // newest first
    expect(creation).toEqual({
      id: expect.any(String),
      actor: `user:${tenant.slug}-user`,
      action: 'api_key.created',
      resource_type: 'api_key',
      resource_id: keyId,
      before: null,
      after: expect.objectContaining({ id: keyId, name: 'audited', role: 'viewer', revoked_at: null }),
      request_id: 'audit-create-1',
      created_at: expect.any(String),
    });
    expect(revocation).toEqual(
      expect.objectContaining({
        actor: `user:${tenant.slug}-user`,
        action: 'api_key.revoked',
        before: expect.objectContaining({ id: keyId, revoked_at: null }),
        after: expect.objectContaining({ id: keyId, revoked_at: expect.any(String) }),
        request_id: 'audit-revoke-1',
      }),
    );
    // The key itself is never in the log; its prefix is.
    expect(JSON.stringify(items)).not.toContain(plainKey);
    expect(creation.after?.prefix).toBe(plainKey.slice(0, 12));
    expect(creation.after).not.toHaveProperty('key');
  });

  it('names an API key as the actor when a key made the change', async () => {
    const { items } = await list(`resource_id=${viaKeyId}`);
    expect(items).toEqual([
      expect.objectContaining({
        actor: `api_key:${adminKey.id}`,
        action: 'api_key.created',
        request_id: 'audit-by-key',
      }),
    ]);
  });

  it('filters by resource type, resource id, actor, action and time range', async () => {
    const all = await list('limit=100');
    expect(all.total).toBe(all.items.length);
    expect(new Set(all.items.map((entry) => entry.resource_type))).toEqual(new Set(['tenant', 'api_key']));

    const byType = await list('resource_type=tenant');
    expect(byType.items.map((entry) => entry.action)).toEqual(['tenant.created']);

    const byActor = await list(`actor=api_key:${adminKey.id}`);
    expect(byActor.items.map((entry) => entry.resource_id)).toEqual([viaKeyId]);

    const byAction = await list('action=api_key.revoked');
    expect(byAction.items.map((entry) => entry.resource_id)).toEqual([keyId]);

    expect((await list('action=api_key.exploded')).total).toBe(0);

    // from is inclusive, to is exclusive.
    const revocation = byAction.items[0];
    const from = await list(`resource_id=${keyId}&from=${revocation.created_at}`);
    expect(from.items.map((entry) => entry.action)).toEqual(['api_key.revoked']);
    const to = await list(`resource_id=${keyId}&to=${revocation.created_at}`);
    expect(to.items.map((entry) => entry.action)).toEqual(['api_key.created']);
    const window = await list(
      `from=${encodeURIComponent('2000-01-01T00:00:00Z')}&to=${encodeURIComponent('2000-01-02T00:00:00Z')}`,
    );
    expect(window.total).toBe(0);
  });

  it('refuses from >= to, and dates or paging that do not parse', async () => {
    const at = '2030-01-01T00:00:00.000Z';
    const same = expectError(
      await ctx.http.get(`/api/v1/audit?from=${at}&to=${at}`).set(asAdmin()),
      400,
      'VALIDATION_FAILED',
    );
    expect(same.details).toEqual([{ field: 'from', code: 'range', message: 'from must be before to' }]);
    expectError(
      await ctx.http.get('/api/v1/audit?from=2030-01-02T00:00:00Z&to=2030-01-01T00:00:00Z').set(asAdmin()),
      400,
      'VALIDATION_FAILED',
    );
    const bad = expectError(
      await ctx.http.get('/api/v1/audit?from=yesterday').set(asAdmin()),
      400,
      'VALIDATION_FAILED',
    );
    expect(bad.details).toEqual([expect.objectContaining({ field: 'from', code: 'isDate' })]);
    expectError(await ctx.http.get('/api/v1/audit?limit=abc').set(asAdmin()), 400, 'VALIDATION_FAILED');
    expectError(await ctx.http.get('/api/v1/audit?tenant_id=x').set(asAdmin()), 400, 'VALIDATION_FAILED');
  });

  it('pages newest first', async () => {
    const all = await list('limit=100');
    expect(all.total).toBeGreaterThanOrEqual(5);
    const times = all.items.map((entry) => entry.created_at);
    expect([...times].sort().reverse()).toEqual(times);
    const first = await list('limit=2');
    const second = await list('limit=2&offset=2');
    expect(first).toEqual({ total: all.total, limit: 2, offset: 0, items: all.items.slice(0, 2) });
    expect(second).toEqual({ total: all.total, limit: 2, offset: 2, items: all.items.slice(2, 4) });
  });

  it('answers 403 to roles without audit:read and 401 without credentials', async () => {
    for (const role of ['viewer', 'editor', 'operator'] as const) {
      const error = expectError(
        await ctx.http.get('/api/v1/audit').set('Authorization', `Bearer ${tenant.token(role)}`),
        403,
        'FORBIDDEN',
      );
      expect(error.message).toMatch(/audit:read/);
    }
    expectError(await ctx.http.get('/api/v1/audit'), 401, 'UNAUTHENTICATED');
  });

  it('shows another tenant none of these entries', async () => {
    expect((await list(`resource_id=${keyId}`, other)).total).toBe(0);
    expect((await list(`actor=api_key:${adminKey.id}`, other)).total).toBe(0);
    const theirs = await list('limit=100', other);
    const ours = new Set((await list('limit=100')).items.map((entry) => entry.id));
    expect(theirs.items.length).toBeGreaterThan(0);
    expect(theirs.items.filter((entry) => ours.has(entry.id))).toEqual([]);
    expect(theirs.items.map((entry) => entry.resource_id)).not.toContain(tenant.id);
  });
});
