import { randomBytes, randomUUID } from 'node:crypto';
import { TIER_LIMITS } from '../../src/modules/tenants/tiers';
import { createApiKey, createTenant } from '../factories/tenant.factory';
import { expectError } from '../helpers/envelope';
import { startTestApp, TestApp } from '../helpers/test-app';
import { platformToken, signToken } from '../helpers/tokens';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const slug = (stem: string) => `${stem}-${randomBytes(3).toString('hex')}`;

describe('tenants (platform operators)', () => {
  let ctx: TestApp;

  beforeAll(async () => {
    ctx = await startTestApp();
  });
  afterAll(() => ctx.close());

  const operator = { Authorization: `Bearer ${platformToken()}` };
  const auditOf = async (tenantId: string, query = '') => {
    const res = await ctx.http
      .get(`/api/v1/audit?resource_type=tenant&resource_id=${tenantId}${query}`)
      .set('Authorization', `Bearer ${signToken({ tenant: tenantId, roles: ['admin'] })}`);
    expect(res.status).toBe(200);
    return res.body as { total: number; items: Array<Record<string, unknown>> };
  };

  it('creates a tenant: 201, Location, tier free by default with its limits', async () => {
    const s = slug('acme');
    const res = await ctx.http.post('/api/v1/tenants').set(operator).send({ slug: s, name: 'Acme' });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.stringMatching(UUID),
      slug: s,
      name: 'Acme',
      tier: 'free',
      active: true,
      limits: TIER_LIMITS.free,
      limit_overrides: {},
      created_at: expect.any(String),
      updated_at: expect.any(String),
      deactivated_at: null,
    });
    expect(res.headers.location).toBe(`/api/v1/tenants/${res.body.id}`);

    const got = await ctx.http.get(`/api/v1/tenants/${res.body.id}`).set(operator);
    expect(got.status).toBe(200);
    expect(got.body).toEqual(res.body);

    // The creation is audited in the new tenant's log, by the operator.
    const audit = await auditOf(res.body.id);
    expect(audit.items).toEqual([
      expect.objectContaining({
        action: 'tenant.created',
        actor: 'user:operator-1',
        resource_type: 'tenant',
        resource_id: res.body.id,
        before: null,
        after: expect.objectContaining({ slug: s, tier: 'free' }),
      }),
    ]);
  });

  it('creates with a tier and limit overrides', async () => {
    const res = await ctx.http
      .post('/api/v1/tenants')
      .set(operator)
      .send({
        slug: slug('big'),
        name: 'Big',
        tier: 'enterprise',
        limits: { requests_per_minute: 50, allowed_model_providers: ['scripted'] },
      });
    expect(res.status).toBe(201);
    expect(res.body.tier).toBe('enterprise');
    expect(res.body.limit_overrides).toEqual({
      requests_per_minute: 50,
      allowed_model_providers: ['scripted'],
    });
    expect(res.body.limits).toEqual({
      ...TIER_LIMITS.enterprise,
      requests_per_minute: 50,
      allowed_model_providers: ['scripted'],
    });
  });

  it('refuses a taken slug with 409, including the bootstrap tenant "default"', async () => {
    const s = slug('dup');
    expect((await ctx.http.post('/api/v1/tenants').set(operator).send({ slug: s, name: 'One' })).status).toBe(
      201,
    );
    const before = await ctx.http.get('/api/v1/tenants?limit=100').set(operator);
    const error = expectError(
      await ctx.http.post('/api/v1/tenants').set(operator).send({ slug: s, name: 'Two' }),
      409,
      'TENANT_SLUG_TAKEN',
    );
    expect(error.message).toContain(s);
    expect(error.details).toEqual([{ field: 'slug', code: 'unique', message: 'slug is taken' }]);
    expectError(
      await ctx.http.post('/api/v1/tenants').set(operator).send({ slug: 'default', name: 'Again' }),
      409,
      'TENANT_SLUG_TAKEN',
    );
    const after = await ctx.http.get('/api/v1/tenants?limit=100').set(operator);
    expect(after.body.total).toBe(before.body.total);
  });

  it('answers 400 for a bad slug, tier or limit, with a detail per field', async () => {
    const res = await ctx.http
      .post('/api/v1/tenants')
      .set(operator)
      .send({
        slug: 'Not A Slug',
        name: '',
        tier: 'gold',
        limits: { requests_per_minute: 0, max_agents: 'x', allowed_model_providers: ['openai', 'openai'] },
      });
    const error = expectError(res, 400, 'VALIDATION_FAILED');
    const fields = new Set((error.details as Array<{ field: string }>).map((detail) => detail.field));
    expect(fields).toEqual(
      new Set([
        'slug',
        'name',
        'tier',
        'limits.requests_per_minute',
        'limits.max_agents',
        'limits.allowed_model_providers',
      ]),
    );
  });

  it("refuses a slug shaped like a UUID: a token's tenant claim of that shape names a tenant by id", async () => {
    const other = await ctx.http
      .post('/api/v1/tenants')
      .set(operator)
      .send({ slug: slug('victim'), name: 'Victim' });
    expect(other.status).toBe(201);
    for (const candidate of [other.body.id as string, randomUUID()]) {
      const error = expectError(
        await ctx.http.post('/api/v1/tenants').set(operator).send({ slug: candidate, name: 'Impostor' }),
        400,
        'VALIDATION_FAILED',
      );
      expect(error.details).toEqual([expect.objectContaining({ field: 'slug', code: 'matches' })]);
    }
  });

  it('keeps no override sent equal to the tier, so the tier applies when it changes', async () => {
    const free = TIER_LIMITS.free.max_agents;
    const created = await ctx.http
      .post('/api/v1/tenants')
      .set(operator)
      .send({ slug: slug('ovr'), name: 'Ovr', limits: { max_agents: free, requests_per_minute: 7 } });
    expect(created.body.limit_overrides).toEqual({ requests_per_minute: 7 });
    const upgraded = await ctx.http
      .patch(`/api/v1/tenants/${created.body.id}`)
      .set(operator)
      .send({ tier: 'pro' });
    expect(upgraded.body.limits.max_agents).toBe(TIER_LIMITS.pro.max_agents);
    // An override set back to the tier's value goes, and so does one given with the new tier.
    const back = await ctx.http
      .patch(`/api/v1/tenants/${created.body.id}`)
      .set(operator)
      .send({
        tier: 'enterprise',
        limits: { requests_per_minute: TIER_LIMITS.enterprise.requests_per_minute },
      });
    expect(back.body.limit_overrides).toEqual({});
    expect(back.body.limits).toEqual(TIER_LIMITS.enterprise);
    // An override set before a tier change stays through it, and back: it was a choice of its own.
    await ctx.http
      .patch(`/api/v1/tenants/${created.body.id}`)
      .set(operator)
      .send({ tier: 'free', limits: { max_agents: TIER_LIMITS.pro.max_agents } })
      .expect(200);
    await ctx.http
      .patch(`/api/v1/tenants/${created.body.id}`)
      .set(operator)
      .send({ tier: 'pro' })
      .expect(200);
    const toFree = await ctx.http
      .patch(`/api/v1/tenants/${created.body.id}`)
      .set(operator)
      .send({ tier: 'free' });
    expect(toFree.body.limits.max_agents).toBe(TIER_LIMITS.pro.max_agents);
    await ctx.http
      .patch(`/api/v1/tenants/${created.body.id}`)
      .set(operator)
      .send({ tier: 'pro', limits: { max_agents: null } })
      .expect(200);
    // A provider list in another order is the tier's own list.
    const providers = [...TIER_LIMITS.pro.allowed_model_providers].reverse();
    const reordered = await ctx.http
      .patch(`/api/v1/tenants/${created.body.id}`)
      .set(operator)
      .send({ limits: { allowed_model_providers: providers } });
    expect(reordered.body.limit_overrides).toEqual({});
  });

  it('refuses a blank tenant name on create and on update, changing nothing', async () => {
    const created = await ctx.http
      .post('/api/v1/tenants')
      .set(operator)
      .send({ slug: slug('blank'), name: 'Named' });
    expect(created.status).toBe(201);
    const blank = expectError(
      await ctx.http
        .post('/api/v1/tenants')
        .set(operator)
        .send({ slug: slug('blank'), name: '   ' }),
      400,
      'VALIDATION_FAILED',
    );
    expect(blank.details).toEqual([expect.objectContaining({ field: 'name', code: 'isNotBlank' })]);
    expectError(
      await ctx.http.patch(`/api/v1/tenants/${created.body.id}`).set(operator).send({ name: ' \t ' }),
      400,
      'VALIDATION_FAILED',
    );
    const stored = await ctx.http.get(`/api/v1/tenants/${created.body.id}`).set(operator);
    expect(stored.body.name).toBe('Named');
  });

  it('audits platform service keys in the platform log: created and revoked once, by whom, with no key in it', async () => {
    const created = await ctx.http
      .post('/api/v1/platform/service-keys')
      .set(operator)
      .send({ name: 'exec-audit' });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    await Promise.all(
      Array.from({ length: 3 }, () =>
        ctx.http.delete(`/api/v1/platform/service-keys/${id}`).set(operator).expect(204),
      ),
    );
    const log = await ctx.http.get(`/api/v1/platform/audit?resource_id=${id}`).set(operator);
    expect(log.status).toBe(200);
    expect(log.body.items.map((e: { action: string }) => e.action)).toEqual([
      'platform_key.revoked',
      'platform_key.created',
    ]);
    expect(log.body.items[1]).toEqual(
      expect.objectContaining({
        actor: 'user:operator-1',
        resource_type: 'platform_key',
        before: null,
        after: expect.objectContaining({ id, name: 'exec-audit', revoked_at: null }),
        request_id: expect.any(String),
      }),
    );
    expect(log.body.items[0].after.revoked_at).toEqual(expect.any(String));
    expect(JSON.stringify(log.body)).not.toContain(created.body.key);
    const filtered = await ctx.http
      .get(`/api/v1/platform/audit?action=platform_key.created&resource_id=${id}`)
      .set(operator);
    expect(filtered.body.total).toBe(1);
    // A tenant's admin reads neither the platform log nor these entries in the tenant's own.
    const tenant = await createTenant(ctx);
    expectError(
      await ctx.http.get('/api/v1/platform/audit').set('Authorization', `Bearer ${tenant.token('owner')}`),
      403,
      'FORBIDDEN',
    );
    const own = await ctx.http
      .get(`/api/v1/audit?resource_id=${id}`)
      .set('Authorization', `Bearer ${tenant.token('admin')}`);
    expect(own.body.total).toBe(0);
  });

  it('refuses limits given as an array (once stored as {"0": {…}}), on create and on update', async () => {
    const before = await ctx.http.get('/api/v1/tenants?limit=1').set(operator);
    for (const limits of [[{ max_agents: 5 }], []]) {
      const res = await ctx.http
        .post('/api/v1/tenants')
        .set(operator)
        .send({ slug: slug('arr'), name: 'Array limits', limits });
      const error = expectError(res, 400, 'VALIDATION_FAILED');
      // The array's items are not reported: the field has the wrong type.
      expect(error.details).toEqual([
        { field: 'limits', code: 'isObject', message: 'limits must be an object' },
      ]);
    }
    const after = await ctx.http.get('/api/v1/tenants?limit=1').set(operator);
    expect(after.body.total).toBe(before.body.total);
    const tenant = await createTenant(ctx, { tier: 'free' });
    expectError(
      await ctx.http
        .patch(`/api/v1/tenants/${tenant.id}`)
        .set(operator)
        .send({ limits: [{ max_agents: 5 }] }),
      400,
      'VALIDATION_FAILED',
    );
    const stored = await ctx.http.get(`/api/v1/tenants/${tenant.id}`).set(operator);
    expect(stored.body.limit_overrides).toEqual({});
  });

  it('lists tenants oldest first, paged, filtered by active and by q', async () => {
    const marker = randomBytes(3).toString('hex');
    const created = [];
    for (const stem of ['alpha', 'beta', 'gamma']) {
      const res = await ctx.http
        .post('/api/v1/tenants')
        .set(operator)
        .send({ slug: `${stem}-${marker}`, name: `List ${stem}` });
      created.push(res.body as { id: string; slug: string });
    }
    const list = (query: string) => ctx.http.get(`/api/v1/tenants?${query}`).set(operator);

    const all = await list(`q=${marker}`);
    expect(all.status).toBe(200);
    expect(all.body).toEqual({ total: 3, limit: 20, offset: 0, items: expect.any(Array) });
    expect(all.body.items.map((t: { slug: string }) => t.slug)).toEqual(created.map((t) => t.slug));

    const paged = await list(`q=${marker}&limit=1&offset=1`);
    expect(paged.body).toEqual({
      total: 3,
      limit: 1,
      offset: 1,
      items: [expect.objectContaining({ id: created[1].id })],
    });

    expect((await list(`q=BETA-${marker}`)).body.items.map((t: { id: string }) => t.id)).toEqual([
      created[1].id,
    ]);
    // LIKE wildcards are taken literally.
    expect((await list('q=%25')).body.total).toBe(0);

    await ctx.http.post(`/api/v1/tenants/${created[2].id}/deactivate`).set(operator).expect(200);
    const inactive = await list(`q=${marker}&active=false`);
    expect(inactive.body.items.map((t: { id: string }) => t.id)).toEqual([created[2].id]);
    const active = await list(`q=${marker}&active=true`);
    expect(active.body.items.map((t: { id: string }) => t.id)).toEqual([created[0].id, created[1].id]);

    // The bootstrap tenant is listed too.
    expect((await list('q=default')).body.items.map((t: { slug: string }) => t.slug)).toContain('default');
    expectError(await list('active=maybe'), 400, 'VALIDATION_FAILED');
    expectError(await list('limit=1000'), 400, 'VALIDATION_FAILED');
  });

  it('updates name, tier and limit overrides; null clears an override; every change is audited', async () => {
    const tenant = await createTenant(ctx, { tier: 'free', limits: { max_agents: 7 } });
    const patch = (body: object) => ctx.http.patch(`/api/v1/tenants/${tenant.id}`).set(operator).send(body);

    const renamed = await patch({ name: 'Renamed' });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toEqual(
      expect.objectContaining({
        name: 'Renamed',
        tier: 'free',
        slug: tenant.slug,
        limit_overrides: { max_agents: 7 },
      }),
    );

    const upgraded = await patch({ tier: 'pro', limits: { requests_per_minute: 99 } });
    expect(upgraded.status).toBe(200);
    expect(upgraded.body.tier).toBe('pro');
    expect(upgraded.body.limit_overrides).toEqual({ max_agents: 7, requests_per_minute: 99 });
    expect(upgraded.body.limits).toEqual({ ...TIER_LIMITS.pro, max_agents: 7, requests_per_minute: 99 });

    const cleared = await patch({ limits: { max_agents: null } });
    expect(cleared.status).toBe(200);
    expect(cleared.body.limit_overrides).toEqual({ requests_per_minute: 99 });
    expect(cleared.body.limits.max_agents).toBe(TIER_LIMITS.pro.max_agents);
    expect((await ctx.http.get(`/api/v1/tenants/${tenant.id}`).set(operator)).body).toEqual(cleared.body);

    // A patch that changes nothing answers the tenant as it is and writes nothing.
    const unchanged = await patch({ name: 'Renamed', limits: {} });
    expect(unchanged.status).toBe(200);
    expect(unchanged.body).toEqual(cleared.body);

    const audit = await auditOf(tenant.id, '&action=tenant.updated');
    expect(audit.total).toBe(3);
    const [last] = audit.items; // newest first
    expect(last).toEqual(
      expect.objectContaining({
        actor: 'user:operator-1',
        before: expect.objectContaining({ limit_overrides: { max_agents: 7, requests_per_minute: 99 } }),
        after: expect.objectContaining({ limit_overrides: { requests_per_minute: 99 } }),
      }),
    );
  });

  it('never changes the slug: it is an unknown field on update, and nothing is written', async () => {
    const tenant = await createTenant(ctx);
    const before = await ctx.http.get(`/api/v1/tenants/${tenant.id}`).set(operator);
    const auditBefore = await auditOf(tenant.id);
    const error = expectError(
      await ctx.http
        .patch(`/api/v1/tenants/${tenant.id}`)
        .set(operator)
        .send({ slug: 'renamed', name: 'New' }),
      400,
      'VALIDATION_FAILED',
    );
    expect(error.details).toEqual([
      { field: 'slug', code: 'unknownField', message: 'property slug is not allowed' },
    ]);
    expectError(
      await ctx.http.patch(`/api/v1/tenants/${tenant.id}`).set(operator).send({ tier: 'platinum' }),
      400,
      'VALIDATION_FAILED',
    );
    expectError(
      await ctx.http
        .patch(`/api/v1/tenants/${tenant.id}`)
        .set(operator)
        .send({ limits: { requests_per_minute: -5 } }),
      400,
      'VALIDATION_FAILED',
    );
    expect((await ctx.http.get(`/api/v1/tenants/${tenant.id}`).set(operator)).body).toEqual(before.body);
    expect((await auditOf(tenant.id)).total).toBe(auditBefore.total);
  });

  it('a platform operator whose token also names a deactivated tenant still reaches the platform routes, not that tenant', async () => {
    const tenant = await createTenant(ctx);
    await ctx.http.post(`/api/v1/tenants/${tenant.id}/deactivate`).set(operator).expect(200);
    const both = {
      Authorization: `Bearer ${signToken({ sub: 'operator-2', platform: true, tenant: tenant.id, roles: ['admin'] })}`,
    };
    expect((await ctx.http.get('/api/v1/tenants?limit=1').set(both)).status).toBe(200);
    const activated = await ctx.http.post(`/api/v1/tenants/${tenant.id}/activate`).set(both);
    expect(activated.status).toBe(200);
    expect(activated.body.active).toBe(true);
    await ctx.http.post(`/api/v1/tenants/${tenant.id}/deactivate`).set(both).expect(200);
    // Inside the tenant, its deactivation holds for the operator too.
    expectError(await ctx.http.get('/api/v1/audit').set(both), 403, 'TENANT_INACTIVE');
  });

  it("deactivation locks out the tenant's users and API keys at once; activation restores them", async () => {
    const tenant = await createTenant(ctx);
    const other = await createTenant(ctx);
    const { key } = await createApiKey(ctx, tenant, 'admin');
    const userToken = tenant.token('admin');
    const asUser = () => ctx.http.get('/api/v1/audit').set('Authorization', `Bearer ${userToken}`);
    const asKey = () => ctx.http.get('/api/v1/audit').set('X-API-Key', key);
    const asOther = () =>
      ctx.http.get('/api/v1/audit').set('Authorization', `Bearer ${other.token('admin')}`);
    // Warm the caches on both paths first.
    expect((await asUser()).status).toBe(200);
    expect((await asKey()).status).toBe(200);

    const deactivated = await ctx.http.post(`/api/v1/tenants/${tenant.id}/deactivate`).set(operator);
    expect(deactivated.status).toBe(200);
    expect(deactivated.body).toEqual(
      expect.objectContaining({ id: tenant.id, active: false, deactivated_at: expect.any(String) }),
    );
    const byUser = expectError(await asUser(), 403, 'TENANT_INACTIVE');
    expect(byUser.message).toContain(tenant.slug);
    expectError(await asKey(), 403, 'TENANT_INACTIVE');
    expect((await asOther()).status).toBe(200);

    // Deactivating twice changes nothing but answers the same.
    const again = await ctx.http.post(`/api/v1/tenants/${tenant.id}/deactivate`).set(operator);
    expect(again.status).toBe(200);
    expect(again.body.deactivated_at).toBe(deactivated.body.deactivated_at);

    const activated = await ctx.http.post(`/api/v1/tenants/${tenant.id}/activate`).set(operator);
    expect(activated.status).toBe(200);
    expect(activated.body).toEqual(expect.objectContaining({ active: true, deactivated_at: null }));
    expect((await asUser()).status).toBe(200);
    expect((await asKey()).status).toBe(200);

    const audit = await auditOf(tenant.id);
    expect(audit.items.map((item) => item.action)).toEqual(
      expect.arrayContaining(['tenant.created', 'tenant.deactivated', 'tenant.activated']),
    );
    // Deactivating twice wrote one entry: the second call changed nothing.
    const deactivations = audit.items.filter((item) => item.action === 'tenant.deactivated');
    expect(deactivations).toHaveLength(1);
    expect(deactivations[0]).toEqual(
      expect.objectContaining({
        actor: 'user:operator-1',
        before: expect.objectContaining({ active: true }),
        after: expect.objectContaining({ active: false }),
      }),
    );
  });

  it('answers 403 to tenant principals, whatever their role, and 401 without credentials', async () => {
    const tenant = await createTenant(ctx);
    const { key } = await createApiKey(ctx, tenant, 'owner');
    for (const headers of [{ Authorization: `Bearer ${tenant.token('owner')}` }, { 'X-API-Key': key }]) {
      const error = expectError(await ctx.http.get('/api/v1/tenants').set(headers), 403, 'FORBIDDEN');
      expect(error.message).toMatch(/tenant:manage/);
      expectError(
        await ctx.http
          .post('/api/v1/tenants')
          .set(headers)
          .send({ slug: slug('x'), name: 'X' }),
        403,
        'FORBIDDEN',
      );
      expectError(
        await ctx.http.post(`/api/v1/tenants/${tenant.id}/deactivate`).set(headers),
        403,
        'FORBIDDEN',
      );
    }
    expectError(await ctx.http.get('/api/v1/tenants'), 401, 'UNAUTHENTICATED');
    expectError(await ctx.http.get(`/api/v1/tenants/${tenant.id}`), 401, 'UNAUTHENTICATED');
    expect((await ctx.http.get(`/api/v1/tenants/${tenant.id}`).set(operator)).body.active).toBe(true);
  });

  it('answers 404 for an unknown id and 400 for a malformed one', async () => {
    const unknown = '00000000-0000-4000-8000-000000000000';
    for (const req of [
      ctx.http.get(`/api/v1/tenants/${unknown}`),
      ctx.http.patch(`/api/v1/tenants/${unknown}`).send({ name: 'x' }),
      ctx.http.post(`/api/v1/tenants/${unknown}/deactivate`),
      ctx.http.post(`/api/v1/tenants/${unknown}/activate`),
    ]) {
      const error = expectError(await req.set(operator), 404, 'TENANT_NOT_FOUND');
      expect(error.message).toContain(unknown);
    }
    const error = expectError(
      await ctx.http.get('/api/v1/tenants/nope').set(operator),
      400,
      'VALIDATION_FAILED',
    );
    expect(error.details).toEqual([expect.objectContaining({ field: 'id' })]);
  });
});
