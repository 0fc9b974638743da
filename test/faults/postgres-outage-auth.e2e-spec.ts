import { randomBytes } from 'node:crypto';
import type { Response } from 'supertest';
import { createAgent } from '../factories/agent.factory';
import { eventually } from '../factories/change.factory';
import { createApiKey, createTenant, TestTenant } from '../factories/tenant.factory';
import { expectError } from '../helpers/envelope';
import { startTestApp, TestApp } from '../helpers/test-app';
import { platformToken } from '../helpers/tokens';
import { ThrowawayPostgres } from './throwaway-servers';

/** Short, so the outage below outlasts several generations of the tenant cache. */
const TENANT_CACHE_TTL_MS = 300;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Authentication re-reads a tenant when its cache entry expires. With PostgreSQL stopped for longer
 * than that TTL, internal config reads by a JWT service principal and by a tenant service key keep
 * being served from memory (the last known tenant), while a tenant deactivated before the outage
 * stays refused and a tenant never read is not guessed at.
 */
describe('PostgreSQL stopped for longer than the tenant cache TTL', () => {
  const postgres = new ThrowawayPostgres();
  let ctx: TestApp;
  let tenant: TestTenant;
  let retired: TestTenant;
  let unseen: TestTenant;

  beforeAll(async () => {
    await postgres.init();
    const database = await postgres.createMigratedDatabase(
      `agentry_fault_auth_${randomBytes(3).toString('hex')}`,
    );
    ctx = await startTestApp({
      database,
      env: {
        TENANT_CACHE_TTL_MS: String(TENANT_CACHE_TTL_MS),
        // The key's own cache (src/modules/api-keys) outlives the test: only the tenant expires.
        API_KEY_CACHE_TTL_MS: '600000',
      },
    });
    tenant = await createTenant(ctx);
    retired = await createTenant(ctx);
    unseen = await createTenant(ctx);
  });
  afterAll(async () => {
    await ctx?.close();
    postgres.destroy();
  });

  it('keeps serving cached configs to service JWTs and keys, and refuses a deactivated tenant', async () => {
    const agent = await createAgent(ctx, tenant);
    const serviceKey = await createApiKey(ctx, tenant, 'service');
    const retiredAgent = await createAgent(ctx, retired);
    const retiredKey = await createApiKey(ctx, retired, 'service');
    const deactivated = await ctx.http
      .post(`/api/v1/tenants/${retired.id}/deactivate`)
      .set('Authorization', `Bearer ${platformToken()}`);
    expect(deactivated.status).toBe(200);

    const jwt = { Authorization: `Bearer ${tenant.token('service')}` };
    const key = { 'X-API-Key': serviceKey.key };
    const urls = [`/internal/v1/agents/${agent.name}/config`, `/internal/v1/agents/${agent.id}/config`];
    const read = (url: string, headers: Record<string, string>): Promise<Response> =>
      // A bound on the wait, not a timing assertion: a hang fails here, not at the suite timeout.
      ctx.http.get(url).set(headers).timeout({ response: 20_000 });
    const warm = new Map<string, Response>();
    for (const url of urls) {
      for (const [who, headers] of [['jwt', jwt] as const, ['key', key] as const]) {
        const res = await read(url, headers);
        expect(res.status).toBe(200);
        warm.set(`${who} ${url}`, res);
      }
    }
    // The deactivated tenant is read (inactive) while the database is up: that is what it keeps.
    const retiredUrl = `/internal/v1/agents/${retiredAgent.name}/config`;
    const retiredJwt = { Authorization: `Bearer ${retired.token('service')}` };
    const retiredKeyHeaders = { 'X-API-Key': retiredKey.key };
    expectError(await read(retiredUrl, retiredJwt), 403, 'TENANT_INACTIVE');
    expectError(await read(retiredUrl, retiredKeyHeaders), 403, 'TENANT_INACTIVE');

    postgres.stop();
    try {
      // Several TTLs in a row: the first read after each expiry goes to the stopped database.
      for (let round = 0; round < 3; round++) {
        await sleep(TENANT_CACHE_TTL_MS * 2);
        for (const url of urls) {
          for (const [who, headers] of [['jwt', jwt] as const, ['key', key] as const]) {
            const res = await read(url, headers);
            const before = warm.get(`${who} ${url}`) as Response;
            expect({ round, who, url, status: res.status, body: res.body as unknown }).toEqual({
              round,
              who,
              url,
              status: 200,
              body: before.body,
            });
            expect(res.headers.etag).toBe(before.headers.etag);
          }
        }
        expectError(await read(retiredUrl, retiredJwt), 403, 'TENANT_INACTIVE');
        expectError(await read(retiredUrl, retiredKeyHeaders), 403, 'TENANT_INACTIVE');
      }
      // A tenant never read has no last known answer: the outage shows (and the reads above did
      // reach the stopped database, or this would not).
      const never = await read(`/internal/v1/agents/${agent.name}/config`, {
        Authorization: `Bearer ${unseen.token('service')}`,
      });
      expectError(never, 503, 'DATABASE_UNAVAILABLE');
      expect(ctx.logs.text).toContain('serving the last known snapshot');
    } finally {
      await postgres.start();
    }

    await eventually(
      async () => (await ctx.http.get('/api/v1/health/ready')).status === 200,
      'readiness after PostgreSQL returned',
      30_000,
    );
    await sleep(TENANT_CACHE_TTL_MS * 2);
    for (const headers of [jwt, key]) expect((await read(urls[0], headers)).status).toBe(200);
    expectError(await read(retiredUrl, retiredJwt), 403, 'TENANT_INACTIVE');
    const unseenAgain = await read(`/internal/v1/agents/${agent.name}/config`, {
      Authorization: `Bearer ${unseen.token('service')}`,
    });
    // Read again now the database is back: the agent is not the unseen tenant's.
    expectError(unseenAgain, 404, 'AGENT_NOT_FOUND');
  });
});
