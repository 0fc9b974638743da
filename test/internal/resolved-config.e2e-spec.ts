import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import { eventually } from '../factories/change.factory';
import { createApiKey, createTenant, TestTenant } from '../factories/tenant.factory';
import { expectError } from '../helpers/envelope';
import { startTestApp, TestApp } from '../helpers/test-app';
import { platformToken } from '../helpers/tokens';

const hashOf = (value: unknown) =>
  `sha256:${createHash('sha256')
    .update(canonicalize(value) as string)
    .digest('hex')}`;

describe('resolved configurations on /internal/v1', () => {
  let a: TestApp;
  let b: TestApp;
  let tenant: TestTenant;
  let other: TestTenant;
  let serviceKey: string;
  let otherServiceKey: string;

  beforeAll(async () => {
    a = await startTestApp();
    b = await startTestApp({ database: a.database, env: { REDIS_PREFIX: a.settings.redisPrefix } });
    tenant = await createTenant(a);
    other = await createTenant(a);
    serviceKey = (await createApiKey(a, tenant, 'service')).key;
    otherServiceKey = (await createApiKey(a, other, 'service')).key;
  });
  afterAll(async () => {
    await b.close();
    await a.close();
  });

  async function createAgent(name: string, systemPrompt = 'You help.') {
    const res = await a.http
      .post('/api/v1/agents')
      .set('Authorization', `Bearer ${tenant.token('editor')}`)
      .send({
        name,
        system_prompt: systemPrompt,
        model: { provider: 'openai', model: 'gpt-4o-mini' },
        config: { temperature: 0.2 },
      });
    expect(res.status).toBe(201);
    return res.body as { id: string; version: number };
  }

  const read = (app: TestApp, path: string, key = serviceKey) => app.http.get(path).set('X-API-Key', key);

  it('serves the latest configuration by id and by name, with the config hash as a strong ETag and 304 on If-None-Match', async () => {
    const agent = await createAgent('support');
    const byId = await read(a, `/internal/v1/agents/${agent.id}/config`);
    expect(byId.status).toBe(200);
    expect(byId.body).toEqual(
      expect.objectContaining({
        agent_id: agent.id,
        name: 'support',
        version: 1,
        label: 'latest',
        config_hash: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
      }),
    );
    expect(byId.body.config.system_prompt).toBe('You help.');
    expect(byId.body.config_hash).toBe(hashOf(byId.body.config));
    expect(byId.headers.etag).toBe(`"${byId.body.config_hash}"`);
    const byName = await read(a, '/internal/v1/agents/support/config');
    expect(byName.body.config_hash).toBe(byId.body.config_hash);

    const notModified = await read(a, '/internal/v1/agents/support/config').set(
      'If-None-Match',
      byId.headers.etag,
    );
    expect(notModified.status).toBe(304);
    expect(notModified.text).toBe('');
    const stale = await read(a, '/internal/v1/agents/support/config').set('If-None-Match', '"sha256:old"');
    expect(stale.status).toBe(200);
  });

  it('serves labels and exact versions, and refuses what does not exist', async () => {
    const agent = await createAgent('sales', 'v1 prompt');
    const updated = await a.http
      .patch(`/api/v1/agents/${agent.id}`)
      .set('Authorization', `Bearer ${tenant.token('editor')}`)
      .send({ system_prompt: 'v2 prompt' });
    expect(updated.status).toBe(200);
    const label = await a.http
      .put(`/api/v1/agents/${agent.id}/labels/production`)
      .set('Authorization', `Bearer ${tenant.token('admin')}`)
      .send({ version: 1 });
    expect(label.status).toBe(200);

    const latest = await read(a, '/internal/v1/agents/sales/config');
    expect(latest.body.version).toBe(2);
    const production = await read(a, '/internal/v1/agents/sales/config?label=production');
    expect(production.body).toEqual(expect.objectContaining({ version: 1, label: 'production' }));
    expect(production.body.config.system_prompt).toBe('v1 prompt');
    const v2 = await read(a, '/internal/v1/agents/sales/config?version=2');
    expect(v2.body.config.system_prompt).toBe('v2 prompt');

    expectError(await read(a, '/internal/v1/agents/sales/config?label=staging'), 404, 'LABEL_NOT_FOUND');
    // A label named like a member of every object is a label like any other.
    expectError(await read(a, '/internal/v1/agents/sales/config?label=constructor'), 404, 'LABEL_NOT_FOUND');
    expectError(await read(a, '/internal/v1/agents/sales/config?version=9'), 404, 'VERSION_NOT_FOUND');
    expectError(await read(a, '/internal/v1/agents/nobody/config'), 404, 'AGENT_NOT_FOUND');
    expectError(
      await read(a, '/internal/v1/agents/sales/config?version=1&label=production'),
      400,
      'VALIDATION_FAILED',
    );
    expectError(await read(a, '/internal/v1/agents/sales/config?version=zero'), 400, 'VALIDATION_FAILED');
    // Past the largest version (1.5e300 is an integer to JavaScript): a 400, not a failed lookup.
    for (const version of ['2147483648', '1.5e300']) {
      expectError(
        await read(a, `/internal/v1/agents/sales/config?version=${version}`),
        400,
        'VALIDATION_FAILED',
      );
    }
  });

  it('takes the service key as a Bearer value in any case of the scheme, cached or not', async () => {
    const agent = await createAgent('bearer-case');
    for (const scheme of ['Bearer', 'bearer', 'BEARER', 'Bearer']) {
      const res = await a.http
        .get(`/internal/v1/agents/${agent.id}/config`)
        .set('Authorization', `${scheme} ${serviceKey}`);
      expect(res.status).toBe(200);
      expect(res.body.agent_id).toBe(agent.id);
    }
  });

  it('refuses other tenants, missing credentials and roles without internal:read', async () => {
    const agent = await createAgent('private');
    expectError(
      await read(a, `/internal/v1/agents/${agent.id}/config`, otherServiceKey),
      404,
      'AGENT_NOT_FOUND',
    );
    expectError(await read(a, '/internal/v1/agents/private/config', otherServiceKey), 404, 'AGENT_NOT_FOUND');
    expectError(await a.http.get('/internal/v1/agents/private/config'), 401, 'UNAUTHENTICATED');
    expectError(
      await a.http
        .get('/internal/v1/agents/private/config')
        .set('Authorization', `Bearer ${tenant.token('owner')}`),
      403,
      'FORBIDDEN',
    );
  });

  it('hides inactive and deleted agents', async () => {
    const agent = await createAgent('short-lived');
    expect((await read(a, '/internal/v1/agents/short-lived/config')).status).toBe(200);
    const editor = `Bearer ${tenant.token('admin')}`;
    expect(
      (await a.http.post(`/api/v1/agents/${agent.id}/deactivate`).set('Authorization', editor)).status,
    ).toBe(200);
    expectError(await read(a, '/internal/v1/agents/short-lived/config'), 404, 'AGENT_NOT_FOUND');
    expect(
      (await a.http.post(`/api/v1/agents/${agent.id}/activate`).set('Authorization', editor)).status,
    ).toBe(200);
    expect((await read(a, '/internal/v1/agents/short-lived/config')).status).toBe(200);
    expect((await a.http.delete(`/api/v1/agents/${agent.id}`).set('Authorization', editor)).status).toBe(204);
    expectError(await read(a, '/internal/v1/agents/short-lived/config'), 404, 'AGENT_NOT_FOUND');
  });

  it('shows an update made through instance A on instance B, whose cache held the old configuration', async () => {
    const agent = await createAgent('shared', 'first');
    const before = await read(b, '/internal/v1/agents/shared/config');
    expect(before.body.config.system_prompt).toBe('first');
    const again = await read(b, '/internal/v1/agents/shared/config');
    expect(again.body.config_hash).toBe(before.body.config_hash);

    const update = await a.http
      .patch(`/api/v1/agents/${agent.id}`)
      .set('Authorization', `Bearer ${tenant.token('editor')}`)
      .send({ system_prompt: 'second' });
    expect(update.status).toBe(200);
    // A itself answers the new configuration at once: its cache was dropped on commit.
    expect((await read(a, '/internal/v1/agents/shared/config')).body.config.system_prompt).toBe('second');
    await eventually(
      async () => (await read(b, '/internal/v1/agents/shared/config')).body.config.system_prompt === 'second',
      'instance B to serve the new configuration',
    );
    const after = await read(b, '/internal/v1/agents/shared/config');
    expect(after.body.config_hash).not.toBe(before.body.config_hash);
    expect(after.body.version).toBe(2);
  });

  it('pulls every active agent with the change sequence as ETag', async () => {
    const all = await read(a, '/internal/v1/config/all');
    expect(all.status).toBe(200);
    const version = (await read(a, '/internal/v1/config/version')).body.version as number;
    expect(all.body.version).toBe(version);
    expect(all.headers.etag).toBe(`"${version}"`);
    const names = all.body.agents.map((agent: { name: string }) => agent.name);
    expect(names).toEqual(expect.arrayContaining(['support', 'sales', 'shared']));
    expect(names).not.toContain('short-lived');
    const sales = all.body.agents.find((agent: { name: string }) => agent.name === 'sales');
    expect(sales).toEqual(expect.objectContaining({ version: 2, labels: { production: 1 } }));
    expect((await read(a, '/internal/v1/config/all').set('If-None-Match', all.headers.etag)).status).toBe(
      304,
    );
    const otherAll = await read(a, '/internal/v1/config/all', otherServiceKey);
    expect(otherAll.body.agents).toEqual([]);
  });

  it('reports cache statistics for the tenant', async () => {
    await read(a, '/internal/v1/agents/support/config');
    await read(a, '/internal/v1/agents/support/config');
    const stats = await a.http
      .get('/api/v1/config/cache/stats')
      .set('Authorization', `Bearer ${tenant.token('viewer')}`);
    expect(stats.status).toBe(200);
    expect(stats.body).toEqual(
      expect.objectContaining({
        cached_configs: expect.any(Number),
        hits: expect.any(Number),
        misses: expect.any(Number),
      }),
    );
    expect(stats.body.hits).toBeGreaterThan(0);
    expect(stats.body.hit_ratio).toBeCloseTo(stats.body.hits / (stats.body.hits + stats.body.misses), 3);
    const support = stats.body.configs.find((c: { key: string }) => c.key === 'support@latest');
    expect(support).toEqual(
      expect.objectContaining({
        config_hash: expect.stringMatching(/^sha256:/),
        access_count: expect.any(Number),
      }),
    );
    const otherStats = await a.http
      .get('/api/v1/config/cache/stats')
      .set('Authorization', `Bearer ${other.token('viewer')}`);
    expect(otherStats.body.configs.find((c: { key: string }) => c.key === 'support@latest')).toBeUndefined();
    expectError(await a.http.get('/api/v1/config/cache/stats'), 401, 'UNAUTHENTICATED');
    expectError(
      await a.http.get('/api/v1/config/cache/stats').set('X-API-Key', serviceKey),
      403,
      'FORBIDDEN',
    );
  });

  it('never serves a cached configuration to a revoked key or a deactivated tenant', async () => {
    const cachedTenant = await createTenant(a);
    const key = await createApiKey(a, cachedTenant, 'service');
    const created = await a.http
      .post('/api/v1/agents')
      .set('Authorization', `Bearer ${cachedTenant.token('admin')}`)
      .send({ name: 'hot', system_prompt: 'cached' });
    expect(created.status).toBe(201);
    for (let i = 0; i < 3; i++)
      expect((await read(a, '/internal/v1/agents/hot/config', key.key)).status).toBe(200);

    const second = await createApiKey(a, cachedTenant, 'service');
    expect((await read(a, '/internal/v1/agents/hot/config', second.key)).status).toBe(200);
    const revoked = await a.http
      .delete(`/api/v1/api-keys/${key.id}`)
      .set('Authorization', `Bearer ${cachedTenant.token('owner')}`);
    expect(revoked.status).toBe(204);
    expectError(await read(a, '/internal/v1/agents/hot/config', key.key), 401, 'UNAUTHENTICATED');

    const platform = `Bearer ${platformToken()}`;
    expect(
      (await a.http.post(`/api/v1/tenants/${cachedTenant.id}/deactivate`).set('Authorization', platform))
        .status,
    ).toBe(200);
    expectError(await read(a, '/internal/v1/agents/hot/config', second.key), 403, 'TENANT_INACTIVE');
    expect(
      (await a.http.post(`/api/v1/tenants/${cachedTenant.id}/activate`).set('Authorization', platform))
        .status,
    ).toBe(200);
    expect((await read(a, '/internal/v1/agents/hot/config', second.key)).status).toBe(200);
  });

  it('answers a malformed path in the error envelope', async () => {
    const res = await read(a, '/internal/v1/agents/%E0%A4%A/config');
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.body.error).toEqual(
      expect.objectContaining({ code: expect.any(String), request_id: expect.any(String) }),
    );
  });

  it('answers odd queries of a cached configuration through the full route', async () => {
    expect((await read(a, '/internal/v1/agents/support/config')).status).toBe(200);
    expectError(
      await read(a, '/internal/v1/agents/support/config?label=Bad Label'),
      400,
      'VALIDATION_FAILED',
    );
    expectError(await read(a, '/internal/v1/agents/support/config?extra=1'), 400, 'VALIDATION_FAILED');
    const viaBearer = await a.http
      .get('/internal/v1/agents/support/config')
      .set('Authorization', `Bearer ${serviceKey}`);
    expect(viaBearer.status).toBe(200);
    expect(viaBearer.headers.etag).toMatch(/^"sha256:/);
  });
});
