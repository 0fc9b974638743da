import { randomBytes } from 'node:crypto';
import type { Response } from 'supertest';
import { createAgent } from '../factories/agent.factory';
import { eventually } from '../factories/change.factory';
import { createApiKey, createTenant, TestTenant } from '../factories/tenant.factory';
import { expectError } from '../helpers/envelope';
import { startTestApp, TestApp } from '../helpers/test-app';
import { platformToken } from '../helpers/tokens';
import { ThrowawayPostgres } from './throwaway-servers';

/** Short, so the outage below outlasts several generations of the tenant and API-key caches. */
const TENANT_CACHE_TTL_MS = 300;
const API_KEY_CACHE_TTL_MS = 300;
/** Long enough for every entry of both caches to have expired. */
const EXPIRY_MS = Math.max(TENANT_CACHE_TTL_MS, API_KEY_CACHE_TTL_MS) * 2;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Authentication re-reads a tenant and an API key when their cache entries expire. With PostgreSQL
 * stopped for longer than those TTLs, internal config reads by a JWT service principal and by a
 * tenant service key keep being served from memory (the last known tenant and key), while a
 * tenant deactivated before the outage stays refused, a revoked key or one past its own expiry is
 * not served, and a tenant or key never read is not guessed at.
 */
describe('PostgreSQL stopped for longer than the tenant and API-key cache TTLs', () => {
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
        API_KEY_CACHE_TTL_MS: String(API_KEY_CACHE_TTL_MS),
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
    // Verified before the outage, then revoked: the revocation dropped what could be served.
    const revokedKey = await createApiKey(ctx, tenant, 'service');
    // Created but never presented before the outage: there is no last known answer for it.
    const unusedKey = await createApiKey(ctx, tenant, 'service');
    // Verified before the outage, expiring during it: its own expiry is known without a read.
    const expiringAt = Date.now() + 5_000;
    const created = await ctx.http
      .post('/api/v1/api-keys')
      .set('Authorization', `Bearer ${tenant.token('owner')}`)
      .send({ name: 'expiring key', role: 'service', expires_at: new Date(expiringAt).toISOString() });
    expect(created.status).toBe(201);
    const expiringKey = { 'X-API-Key': created.body.key as string };
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
    expect((await read(urls[0], expiringKey)).status).toBe(200);
    const revokedHeaders = { 'X-API-Key': revokedKey.key };
    expect((await read(urls[0], revokedHeaders)).status).toBe(200);
    const revoke = await ctx.http
      .delete(`/api/v1/api-keys/${revokedKey.id}`)
      .set('Authorization', `Bearer ${tenant.token('owner')}`);
    expect(revoke.status).toBe(204);
    expectError(await read(urls[0], revokedHeaders), 401, 'UNAUTHENTICATED');

    postgres.stop();
    try {
      // Several TTLs in a row: the first read after each expiry goes to the stopped database.
      for (let round = 0; round < 3; round++) {
        await sleep(EXPIRY_MS);
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
      expect(ctx.logs.text).toContain('serving the last known identity');
      // A revoked key is never served from memory, and a key never read is not guessed at: both
      // meet the outage (503), neither gets a config nor a 401 that calls a valid key invalid.
      expectError(await read(urls[0], revokedHeaders), 503, 'DATABASE_UNAVAILABLE');
      expectError(await read(urls[0], { 'X-API-Key': unusedKey.key }), 503, 'DATABASE_UNAVAILABLE');
      // Past its own expires_at a key is refused from memory, outage or not.
      await sleep(Math.max(0, expiringAt - Date.now() + EXPIRY_MS));
      expectError(await read(urls[0], expiringKey), 401, 'UNAUTHENTICATED');
    } finally {
      await postgres.start();
    }

    await eventually(
      async () => (await ctx.http.get('/api/v1/health/ready')).status === 200,
      'readiness after PostgreSQL returned',
      30_000,
    );
    await sleep(EXPIRY_MS);
    for (const headers of [jwt, key, { 'X-API-Key': unusedKey.key }]) {
      expect((await read(urls[0], headers)).status).toBe(200);
    }
    expectError(await read(urls[0], revokedHeaders), 401, 'UNAUTHENTICATED');
    expectError(await read(retiredUrl, retiredJwt), 403, 'TENANT_INACTIVE');
    const unseenAgain = await read(`/internal/v1/agents/${agent.name}/config`, {
      Authorization: `Bearer ${unseen.token('service')}`,
    });
    // Read again now the database is back: the agent is not the unseen tenant's.
    expectError(unseenAgain, 404, 'AGENT_NOT_FOUND');
  });
});
