import { createTenant, TestTenant } from '../factories/tenant.factory';
import { expectError } from '../helpers/envelope';
import { startTestApp, TestApp } from '../helpers/test-app';
import { signToken } from '../helpers/tokens';

describe('rate limits', () => {
  let ctx: TestApp;
  let second: TestApp;

  beforeAll(async () => {
    ctx = await startTestApp({ env: { AUTH_FAILURE_LIMIT: '3' } });
    // A second instance on the same database and the same Redis keys: it shares the counters.
    second = await startTestApp({
      database: ctx.database,
      env: { AUTH_FAILURE_LIMIT: '3', REDIS_PREFIX: ctx.settings.redisPrefix },
    });
  });
  afterAll(async () => {
    await second.close();
    await ctx.close();
  });

  const audit = (app: TestApp, tenant: TestTenant) =>
    app.http.get('/api/v1/audit?limit=1').set('Authorization', `Bearer ${tenant.token('admin')}`);

  it('answers 429 RATE_LIMITED with Retry-After once a tenant exceeds its requests per minute', async () => {
    const limited = await createTenant(ctx, { limits: { requests_per_minute: 5 } });
    for (let i = 1; i <= 5; i++) {
      const res = await audit(ctx, limited);
      expect(res.status).toBe(200);
    }
    const res = await audit(ctx, limited);
    const error = expectError(res, 429, 'RATE_LIMITED');
    expect(error.message).toMatch(/Too many requests/);
    const retryAfter = Number(res.headers['retry-after']);
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);

    // The count is per tenant, not per route or principal: another route, an API key of the same tenant.
    const owner = `Bearer ${limited.token('owner')}`;
    expectError(await ctx.http.get('/api/v1/api-keys').set('Authorization', owner), 429, 'RATE_LIMITED');
    expectError(
      await ctx.http.post('/api/v1/api-keys').set('Authorization', owner).send({ name: 'k', role: 'viewer' }),
      429,
      'RATE_LIMITED',
    );
    const keys = await ctx.http
      .get('/api/v1/api-keys')
      .set('Authorization', `Bearer ${signToken({ tenant: limited.id, roles: ['admin'] })}`);
    expect(keys.status).toBe(429); // another user of the same tenant: same budget
    // Health is never throttled.
    expect((await ctx.http.get('/api/v1/health/live')).status).toBe(200);
  });

  it("one tenant's burst does not throttle another", async () => {
    const noisy = await createTenant(ctx, { limits: { requests_per_minute: 2 } });
    const quiet = await createTenant(ctx, { limits: { requests_per_minute: 2 } });
    expect((await audit(ctx, noisy)).status).toBe(200);
    expect((await audit(ctx, noisy)).status).toBe(200);
    expectError(await audit(ctx, noisy), 429, 'RATE_LIMITED');
    expect((await audit(ctx, quiet)).status).toBe(200);
    expect((await audit(ctx, quiet)).status).toBe(200);
    expectError(await audit(ctx, quiet), 429, 'RATE_LIMITED');
  });

  it('counts a tenant across instances sharing Redis', async () => {
    const shared = await createTenant(ctx, { limits: { requests_per_minute: 5 } });
    expect((await audit(ctx, shared)).status).toBe(200);
    expect((await audit(second, shared)).status).toBe(200);
    expect((await audit(ctx, shared)).status).toBe(200);
    expect((await audit(second, shared)).status).toBe(200);
    expect((await audit(ctx, shared)).status).toBe(200);
    // Five in all: the sixth is refused by whichever instance gets it.
    expectError(await audit(second, shared), 429, 'RATE_LIMITED');
    expectError(await audit(ctx, shared), 429, 'RATE_LIMITED');
  });

  it('counts every request of bursts far below the limit, so the limit holds exactly across instances', async () => {
    // Below half its limit a tenant's requests are counted here and sent to Redis together; none
    // may be lost on the way: 40 are let through in all, whatever mix of instances and bursts.
    const busy = await createTenant(ctx, { limits: { requests_per_minute: 40 } });
    const allowed = (responses: Array<{ status: number }>) =>
      responses.filter((r) => r.status === 200).length;
    let passed = allowed([await audit(ctx, busy), await audit(second, busy)]);
    for (let round = 0; round < 2; round++) {
      passed += allowed(
        await Promise.all([
          ...Array.from({ length: 5 }, () => audit(ctx, busy)),
          ...Array.from({ length: 4 }, () => audit(second, busy)),
        ]),
      );
    }
    expect(passed).toBe(20);
    for (let i = 0; i < 30; i++) passed += allowed([await audit(i % 2 ? second : ctx, busy)]);
    expect(passed).toBe(40);
    expectError(await audit(ctx, busy), 429, 'RATE_LIMITED');
  });

  it('limits failed authentications per client IP after AUTH_FAILURE_LIMIT, across instances', async () => {
    const tenant = await createTenant(ctx);
    const forged = signToken({ tenant: tenant.id, roles: ['admin'] }, {}, 'x'.repeat(40));
    const attempt = (app: TestApp) => app.http.get('/api/v1/audit').set('Authorization', `Bearer ${forged}`);

    expectError(await attempt(ctx), 401, 'UNAUTHENTICATED');
    expectError(await attempt(second), 401, 'UNAUTHENTICATED');
    expectError(
      await ctx.http.get('/api/v1/audit').set('X-API-Key', `agt_${'B'.repeat(43)}`),
      401,
      'UNAUTHENTICATED',
    );
    const res = await attempt(ctx);
    const error = expectError(res, 429, 'RATE_LIMITED');
    expect(error.message).toBe('Too many failed authentication attempts; retry later');
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    expectError(await attempt(second), 429, 'RATE_LIMITED');
    // Missing credentials are failed authentications too.
    expectError(await ctx.http.get('/api/v1/audit'), 429, 'RATE_LIMITED');

    // Valid credentials from the same address still get through: only failures are limited.
    expect((await audit(ctx, tenant)).status).toBe(200);
  });
});
