import { setTimeout as sleep } from 'node:timers/promises';
import { createApiKey, createTenant, TestTenant } from '../factories/tenant.factory';
import { expectError } from '../helpers/envelope';
import { startTestApp, TestApp } from '../helpers/test-app';

const KEY_PATTERN = /^agt_[A-Za-z0-9_-]{43}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('API keys', () => {
  let ctx: TestApp;
  let tenant: TestTenant;
  let other: TestTenant;

  beforeAll(async () => {
    ctx = await startTestApp();
    tenant = await createTenant(ctx);
    other = await createTenant(ctx);
  });
  afterAll(() => ctx.close());

  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
  const asOwner = () => bearer(tenant.token('owner'));
  const listAll = async (t: TestTenant = tenant) => {
    const res = await ctx.http
      .get('/api/v1/api-keys?include_revoked=true&limit=100')
      .set(bearer(t.token('owner')));
    expect(res.status).toBe(200);
    return res.body as { total: number; items: Array<Record<string, unknown>> };
  };
  /** A route an admin key may call: proves the key authenticates. */
  const useKey = (key: string) => ctx.http.get('/api/v1/api-keys?limit=1').set('X-API-Key', key);

  it('allows secrets to service keys only, created by an owner', async () => {
    const service = await ctx.http
      .post('/api/v1/api-keys')
      .set(asOwner())
      .send({ name: 'executor', role: 'service', allow_secrets: true });
    expect(service.status).toBe(201);
    expect(service.body.allow_secrets).toBe(true);
    const editor = await ctx.http
      .post('/api/v1/api-keys')
      .set(asOwner())
      .send({ name: 'editor', role: 'editor', allow_secrets: true });
    expect(expectError(editor, 400, 'VALIDATION_FAILED').details).toEqual([
      expect.objectContaining({ field: 'allow_secrets' }),
    ]);
    // An admin may create service keys, but not one that reads the secrets no admin can read.
    const byAdmin = await ctx.http
      .post('/api/v1/api-keys')
      .set(bearer(tenant.token('admin')))
      .send({ name: 'executor', role: 'service', allow_secrets: true });
    expect(expectError(byAdmin, 403, 'ROLE_NOT_GRANTABLE').details).toEqual([
      expect.objectContaining({ field: 'allow_secrets', code: 'notGrantable' }),
    ]);
    const masked = await ctx.http
      .post('/api/v1/api-keys')
      .set(bearer(tenant.token('admin')))
      .send({ name: 'executor', role: 'service' });
    expect(masked.status).toBe(201);
    expect(masked.body.allow_secrets).toBe(false);
  });

  it('creates a key: 201, Location, the key shown once with its prefix', async () => {
    const res = await ctx.http
      .post('/api/v1/api-keys')
      .set(asOwner())
      .send({ name: 'ci-deployer', role: 'admin' });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.stringMatching(UUID),
      name: 'ci-deployer',
      role: 'admin',
      prefix: expect.any(String),
      allow_secrets: false,
      created_by: `user:${tenant.slug}-user`,
      created_at: expect.any(String),
      expires_at: null,
      revoked_at: null,
      last_used_at: null,
      key: expect.stringMatching(KEY_PATTERN),
    });
    const { id, key, prefix } = res.body as { id: string; key: string; prefix: string };
    expect(res.headers.location).toBe(`/api/v1/api-keys/${id}`);
    expect(prefix).toBe(key.slice(0, 12));
    expect(prefix).toMatch(/^agt_/);

    // Never shown again: not by get, not by list.
    const got = await ctx.http.get(`/api/v1/api-keys/${id}`).set(asOwner());
    expect(got.status).toBe(200);
    expect(got.body).not.toHaveProperty('key');
    expect(got.body).toEqual(expect.objectContaining({ id, name: 'ci-deployer', role: 'admin', prefix }));
    const list = await ctx.http.get('/api/v1/api-keys').set(asOwner());
    expect(list.status).toBe(200);
    expect(list.body.items.map((item: { id: string }) => item.id)).toContain(id);
    for (const item of list.body.items) expect(item).not.toHaveProperty('key');
    expect(JSON.stringify(list.body)).not.toContain(key);
    expect(JSON.stringify(got.body)).not.toContain(key);

    // And the key works, as X-API-Key and as a Bearer value.
    expect((await useKey(key)).status).toBe(200);
    const viaBearer = await ctx.http.get('/api/v1/api-keys?limit=1').set('Authorization', `Bearer ${key}`);
    expect(viaBearer.status).toBe(200);
    // The scheme is case-insensitive (RFC 9110), as it is for a JWT.
    for (const scheme of ['bearer', 'BEARER'])
      expect(
        (await ctx.http.get('/api/v1/api-keys?limit=1').set('Authorization', `${scheme} ${key}`)).status,
      ).toBe(200);
  });

  it('lists keys newest first, paged with limit and offset', async () => {
    const pager = await createTenant(ctx);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await createApiKey(ctx, pager, 'viewer')).id);
    const page = (query: string) =>
      ctx.http.get(`/api/v1/api-keys?${query}`).set(bearer(pager.token('admin')));

    const first = await page('limit=2');
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ total: 5, limit: 2, offset: 0, items: expect.any(Array) });
    expect(first.body.items.map((item: { id: string }) => item.id)).toEqual([ids[4], ids[3]]);
    const second = await page('limit=2&offset=2');
    expect(second.body.items.map((item: { id: string }) => item.id)).toEqual([ids[2], ids[1]]);
    const last = await page('limit=2&offset=4');
    expect(last.body).toEqual({
      total: 5,
      limit: 2,
      offset: 4,
      items: [expect.objectContaining({ id: ids[0] })],
    });
    expect((await page('offset=10')).body).toEqual({ total: 5, limit: 20, offset: 10, items: [] });

    expectError(await page('limit=0'), 400, 'VALIDATION_FAILED');
    const tooMany = expectError(await page('limit=101'), 400, 'VALIDATION_FAILED');
    expect(tooMany.details).toEqual([expect.objectContaining({ field: 'limit' })]);
    expectError(await page('offset=-1'), 400, 'VALIDATION_FAILED');
    expectError(await page('include_revoked=perhaps'), 400, 'VALIDATION_FAILED');
  });

  it('revokes: 204, the key gets 401 at once (cache cleared), revoking twice is fine', async () => {
    const { id, key } = await createApiKey(ctx, tenant, 'admin');
    // Use it first, so that it sits in the authentication cache.
    expect((await useKey(key)).status).toBe(200);
    expect((await useKey(key)).status).toBe(200);

    const revoked = await ctx.http.delete(`/api/v1/api-keys/${id}`).set(asOwner());
    expect(revoked.status).toBe(204);
    expect(revoked.text).toBe('');
    const error = expectError(await useKey(key), 401, 'UNAUTHENTICATED');
    expect(error.message).toBe('Invalid, expired or revoked API key');

    const again = await ctx.http.delete(`/api/v1/api-keys/${id}`).set(asOwner());
    expect(again.status).toBe(204);
    const got = await ctx.http.get(`/api/v1/api-keys/${id}`).set(asOwner());
    expect(got.body.revoked_at).toEqual(expect.any(String));

    // Revoked keys leave the default list, and come back with include_revoked.
    const active = await ctx.http.get('/api/v1/api-keys?limit=100').set(asOwner());
    expect(active.body.items.map((item: { id: string }) => item.id)).not.toContain(id);
    expect((await listAll()).items.map((item) => item.id)).toContain(id);
    // Exactly one revocation in the audit log, though it was revoked twice.
    const audit = await ctx.http
      .get(`/api/v1/audit?resource_id=${id}&action=api_key.revoked`)
      .set(bearer(tenant.token('admin')));
    expect(audit.body.total).toBe(1);
  });

  it('records one revocation when several revokes of a key race', async () => {
    const { id, key } = await createApiKey(ctx, tenant, 'admin');
    const revokes = await Promise.all(
      Array.from({ length: 8 }, () => ctx.http.delete(`/api/v1/api-keys/${id}`).set(asOwner())),
    );
    expect(revokes.map((res) => res.status)).toEqual(Array(8).fill(204));
    expectError(await useKey(key), 401, 'UNAUTHENTICATED');
    const audit = await ctx.http
      .get(`/api/v1/audit?resource_id=${id}&action=api_key.revoked`)
      .set(bearer(tenant.token('admin')));
    expect(audit.body.total).toBe(1);
  });

  it('revoking takes no body: a field is refused and the key keeps working; an empty {} is no body', async () => {
    const { id, key } = await createApiKey(ctx, tenant, 'admin');
    const refused = await ctx.http.delete(`/api/v1/api-keys/${id}`).set(asOwner()).send({ reason: 'leaked' });
    const error = expectError(refused, 400, 'VALIDATION_FAILED');
    expect(error.details).toEqual([
      {
        field: 'reason',
        code: 'unknownField',
        message: 'property reason is not allowed: this operation takes no body',
      },
    ]);
    expect((await useKey(key)).status).toBe(200);

    expect((await ctx.http.delete(`/api/v1/api-keys/${id}`).set(asOwner()).send({})).status).toBe(204);
    expectError(await useKey(key), 401, 'UNAUTHENTICATED');
  });

  it('refuses an expired key, even one that was cached while it was valid', async () => {
    const expiresAt = new Date(Date.now() + 1_500);
    const res = await ctx.http
      .post('/api/v1/api-keys')
      .set(asOwner())
      .send({ name: 'short-lived', role: 'admin', expires_at: expiresAt.toISOString() });
    expect(res.status).toBe(201);
    expect(res.body.expires_at).toBe(expiresAt.toISOString());
    expect((await useKey(res.body.key)).status).toBe(200);
    await sleep(Math.max(0, expiresAt.getTime() - Date.now()) + 100);
    expectError(await useKey(res.body.key), 401, 'UNAUTHENTICATED');

    const past = await ctx.http
      .post('/api/v1/api-keys')
      .set(asOwner())
      .send({ name: 'already-expired', role: 'admin', expires_at: '2020-01-01T00:00:00Z' });
    const error = expectError(past, 400, 'VALIDATION_FAILED');
    expect(error.details).toEqual([expect.objectContaining({ field: 'expires_at' })]);
  });

  it('records last_used_at after a key is used', async () => {
    const { id, key } = await createApiKey(ctx, tenant, 'admin');
    const before = await ctx.http.get(`/api/v1/api-keys/${id}`).set(asOwner());
    expect(before.body.last_used_at).toBeNull();
    const usedFrom = Date.now();
    expect((await useKey(key)).status).toBe(200);
    // Written off the request path: wait for it (bounded), then check its value.
    let lastUsed: string | null = null;
    for (let attempt = 0; attempt < 50 && !lastUsed; attempt++) {
      const got = await ctx.http.get(`/api/v1/api-keys/${id}`).set(asOwner());
      lastUsed = got.body.last_used_at as string | null;
      if (!lastUsed) await sleep(50);
    }
    expect(lastUsed).not.toBeNull();
    expect(new Date(lastUsed as string).getTime()).toBeGreaterThanOrEqual(usedFrom - 1_000);
  });

  it('refuses to grant more than the creator holds: admin cannot create an owner key', async () => {
    const before = await listAll();
    const res = await ctx.http
      .post('/api/v1/api-keys')
      .set(bearer(tenant.token('admin')))
      .send({ name: 'escalation', role: 'owner' });
    const error = expectError(res, 403, 'ROLE_NOT_GRANTABLE');
    expect(error.details).toEqual([expect.objectContaining({ field: 'role', code: 'notGrantable' })]);
    expect((await listAll()).total).toBe(before.total);

    // An admin key cannot mint an owner key either, but can mint an admin or an editor key.
    const { key: adminKey } = await createApiKey(ctx, tenant, 'admin');
    expectError(
      await ctx.http.post('/api/v1/api-keys').set('X-API-Key', adminKey).send({ name: 'x', role: 'owner' }),
      403,
      'ROLE_NOT_GRANTABLE',
    );
    const editor = await ctx.http
      .post('/api/v1/api-keys')
      .set('X-API-Key', adminKey)
      .send({ name: 'editor-key', role: 'editor' });
    expect(editor.status).toBe(201);
    expect(editor.body.created_by).toBe(
      `api_key:${(await listAll()).items.find((k) => k.prefix === adminKey.slice(0, 12))?.id}`,
    );
  });

  it('answers 403 to roles without apikey:manage, and 401 without credentials', async () => {
    const { key: editorKey } = await createApiKey(ctx, tenant, 'editor');
    for (const headers of [
      bearer(tenant.token('viewer')),
      bearer(tenant.token('editor')),
      { 'X-API-Key': editorKey },
    ]) {
      const list = expectError(await ctx.http.get('/api/v1/api-keys').set(headers), 403, 'FORBIDDEN');
      expect(list.message).toMatch(/apikey:manage/);
      expectError(
        await ctx.http.post('/api/v1/api-keys').set(headers).send({ name: 'x', role: 'viewer' }),
        403,
        'FORBIDDEN',
      );
    }
    expectError(await ctx.http.get('/api/v1/api-keys'), 401, 'UNAUTHENTICATED');
    expectError(
      await ctx.http.post('/api/v1/api-keys').send({ name: 'x', role: 'viewer' }),
      401,
      'UNAUTHENTICATED',
    );
    expectError(await useKey(`agt_${'A'.repeat(43)}`), 401, 'UNAUTHENTICATED');
    expectError(await useKey('agt_short'), 401, 'UNAUTHENTICATED');
  });

  it("answers 404 for another tenant's key, and leaves it working", async () => {
    const foreign = await createApiKey(ctx, other, 'admin');
    const got = expectError(
      await ctx.http.get(`/api/v1/api-keys/${foreign.id}`).set(asOwner()),
      404,
      'API_KEY_NOT_FOUND',
    );
    expect(got.message).toContain(foreign.id);
    expectError(
      await ctx.http.delete(`/api/v1/api-keys/${foreign.id}`).set(asOwner()),
      404,
      'API_KEY_NOT_FOUND',
    );
    expect((await useKey(foreign.key)).status).toBe(200);
    expect((await listAll()).items.map((item) => item.id)).not.toContain(foreign.id);
    // A key lists its own tenant's keys only.
    const seenByForeign = await ctx.http.get('/api/v1/api-keys?limit=100').set('X-API-Key', foreign.key);
    expect(seenByForeign.body.items.map((item: { id: string }) => item.id)).toEqual([foreign.id]);
  });

  it('answers 400 with a detail per field for a bad body, and writes nothing', async () => {
    const before = await listAll();
    const auditBefore = await ctx.http.get('/api/v1/audit?limit=1').set(bearer(tenant.token('admin')));
    const res = await ctx.http
      .post('/api/v1/api-keys')
      .set(asOwner())
      .send({ name: 42, role: 'god', tenant_id: other.id });
    const error = expectError(res, 400, 'VALIDATION_FAILED');
    const fields = (error.details as Array<{ field: string }>).map((detail) => detail.field);
    expect(new Set(fields)).toEqual(new Set(['name', 'role', 'tenant_id']));
    expect(error.details).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ field: 'tenant_id', code: 'unknownField' }),
        expect.objectContaining({ field: 'role', code: 'isIn' }),
        expect.objectContaining({ field: 'name', code: 'isString' }),
      ]),
    );
    expectError(await ctx.http.post('/api/v1/api-keys').set(asOwner()).send({}), 400, 'VALIDATION_FAILED');
    for (const name of ['', '   ', '\t\n']) {
      const blank = expectError(
        await ctx.http.post('/api/v1/api-keys').set(asOwner()).send({ name, role: 'viewer' }),
        400,
        'VALIDATION_FAILED',
      );
      expect(blank.details).toEqual([expect.objectContaining({ field: 'name', code: 'isNotBlank' })]);
    }
    expect(await listAll()).toEqual(before);
    expect((await listAll(other)).total).toBe(1);
    const auditAfter = await ctx.http.get('/api/v1/audit?limit=1').set(bearer(tenant.token('admin')));
    expect(auditAfter.body.total).toBe(auditBefore.body.total);
  });

  it('answers 400 for an id that is not a UUID', async () => {
    for (const req of [
      ctx.http.get('/api/v1/api-keys/not-a-uuid'),
      ctx.http.delete('/api/v1/api-keys/not-a-uuid'),
    ]) {
      const error = expectError(await req.set(asOwner()), 400, 'VALIDATION_FAILED');
      expect(error.details).toEqual([{ field: 'id', code: 'isUuid', message: 'id must be a UUID' }]);
    }
  });

  describe('with a second instance on the same database and Redis', () => {
    let second: TestApp;

    beforeAll(async () => {
      second = await startTestApp({
        database: ctx.database,
        env: { REDIS_PREFIX: ctx.settings.redisPrefix },
      });
    });
    afterAll(() => second.close());

    it('a revocation on one instance is seen by the other on the very next request', async () => {
      const { id, key } = await createApiKey(ctx, tenant, 'admin');
      const onSecond = () => second.http.get('/api/v1/api-keys?limit=1').set('X-API-Key', key);
      // The second instance caches the key.
      expect((await onSecond()).status).toBe(200);
      expect((await onSecond()).status).toBe(200);

      expect((await ctx.http.delete(`/api/v1/api-keys/${id}`).set(asOwner())).status).toBe(204);
      expectError(await onSecond(), 401, 'UNAUTHENTICATED');
      expectError(await useKey(key), 401, 'UNAUTHENTICATED');
    });
  });
});
