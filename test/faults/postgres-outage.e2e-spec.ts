import { randomBytes } from 'node:crypto';
import { agentBody, createAgent } from '../factories/agent.factory';
import { eventually } from '../factories/change.factory';
import { createApiKey, createTenant, TestTenant } from '../factories/tenant.factory';
import { expectError } from '../helpers/envelope';
import { startTestApp, TestApp } from '../helpers/test-app';
import { ThrowawayPostgres } from './throwaway-servers';

/**
 * The app on a PostgreSQL cluster of this suite's own, which the test stops and starts again:
 * writes answer 503 DATABASE_UNAVAILABLE instead of hanging, readiness fails, internal config reads
 * keep serving what is cached, and everything recovers without restarting the app.
 */
describe('PostgreSQL stopped and restarted under the app', () => {
  const postgres = new ThrowawayPostgres();
  let ctx: TestApp;
  let tenant: TestTenant;

  beforeAll(async () => {
    await postgres.init();
    const database = await postgres.createMigratedDatabase(`agentry_fault_${randomBytes(3).toString('hex')}`);
    ctx = await startTestApp({ database, env: { OUTBOX_POLL_MS: '200' } });
    tenant = await createTenant(ctx);
  });
  afterAll(async () => {
    await ctx?.close();
    postgres.destroy();
  });

  it('answers 503 while it is down, serves cached configs, and recovers by itself', async () => {
    const agent = await createAgent(ctx, tenant);
    // An execution service calls with its service API key (kept in memory once verified).
    const serviceKey = await createApiKey(ctx, tenant, 'service');
    const editor = `Bearer ${tenant.token('editor')}`;
    const configUrl = `/internal/v1/agents/${agent.name}/config`;
    const warm = await ctx.http.get(configUrl).set('X-API-Key', serviceKey.key);
    expect(warm.status).toBe(200);
    expect((await ctx.http.get('/api/v1/health/ready')).status).toBe(200);

    postgres.stop();

    // A bound on the wait, not a timing assertion: a hang fails here instead of at the suite timeout.
    const write = await ctx.http
      .post('/api/v1/agents')
      .set('Authorization', editor)
      .send(agentBody())
      .timeout({ response: 20_000 });
    expectError(write, 503, 'DATABASE_UNAVAILABLE');
    const update = await ctx.http
      .patch(`/api/v1/agents/${agent.id}`)
      .set('Authorization', editor)
      .send({ description: 'during the outage' })
      .timeout({ response: 20_000 });
    expectError(update, 503, 'DATABASE_UNAVAILABLE');

    const ready = await ctx.http.get('/api/v1/health/ready').timeout({ response: 20_000 });
    expect(ready.status).toBe(503);
    expect((await ctx.http.get('/api/v1/health/live')).status).toBe(200);

    const cached = await ctx.http
      .get(configUrl)
      .set('X-API-Key', serviceKey.key)
      .timeout({ response: 20_000 });
    expect({ status: cached.status, body: cached.body as unknown }).toEqual({ status: 200, body: warm.body });
    expect(cached.body).toEqual(warm.body);
    expect(cached.headers.etag).toBe(warm.headers.etag);

    await postgres.start();

    await eventually(
      async () => (await ctx.http.get('/api/v1/health/ready')).status === 200,
      'readiness after PostgreSQL returned',
      30_000,
    );
    const after = await ctx.http
      .patch(`/api/v1/agents/${agent.id}`)
      .set('Authorization', editor)
      .send({ description: 'after the outage' });
    expect(after.status).toBe(200);
    expect(after.body.version).toBe(agent.version + 1);
    const created = await ctx.http.post('/api/v1/agents').set('Authorization', editor).send(agentBody());
    expect(created.status).toBe(201);
    // The failed writes left nothing: the agent went from its version straight to the next one.
    const versions = await ctx.http.get(`/api/v1/agents/${agent.id}/versions`).set('Authorization', editor);
    expect(versions.status).toBe(200);
    expect(versions.body.items.map((v: { version: number }) => v.version)).toEqual([2, 1]);
    // The cache follows the change made after recovery.
    await eventually(
      async () => {
        const res = await ctx.http.get(configUrl).set('X-API-Key', serviceKey.key);
        return res.status === 200 && res.headers.etag !== warm.headers.etag;
      },
      'the internal config to follow the update',
      20_000,
    );
  });
});
