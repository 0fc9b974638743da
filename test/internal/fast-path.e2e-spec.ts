import { createAgent } from '../factories/agent.factory';
import { createApiKey, createTenant } from '../factories/tenant.factory';
import { expectError } from '../helpers/envelope';
import { startTestApp, TestApp } from '../helpers/test-app';

/** Headers an execution service relies on; the rest (security headers for browsers) may differ. */
const SERVICE_HEADERS = ['etag', 'cache-control', 'content-type', 'content-length', 'x-content-type-options'];

function serviceHeaders(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(SERVICE_HEADERS.map((name) => [name, headers[name]]));
}

describe('the internal config fast path (ahead of Express)', () => {
  let ctx: TestApp;

  beforeAll(async () => {
    ctx = await startTestApp();
  });
  afterAll(async () => {
    await ctx.close();
  });

  it('answers a cache hit with the same bytes and headers as the full route, 304 included', async () => {
    const tenant = await createTenant(ctx);
    const agent = await createAgent(ctx, tenant, { name: 'fast-one' });
    const { key } = await createApiKey(ctx, tenant, 'service');
    const read = (path: string, headers: Record<string, string> = {}) =>
      ctx.http
        .get(path)
        .set({ 'X-API-Key': key, ...headers })
        .buffer(true)
        .parse((res, done) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => done(null, Buffer.concat(chunks)));
        });

    for (const path of [
      `/internal/v1/agents/${agent.id}/config`,
      '/internal/v1/agents/fast-one/config?label=latest',
    ]) {
      // A miss: the Nest route answers it (its helmet headers show) and fills the cache.
      const full = await read(path);
      expect(full.status).toBe(200);
      expect(full.headers['x-frame-options']).toBeDefined();
      // A hit: answered before Express, so none of its middleware ran.
      const fast = await read(path, { 'X-Request-Id': 'trace-fast-1' });
      expect(fast.status).toBe(200);
      expect(fast.headers['x-frame-options']).toBeUndefined();
      expect(fast.headers['x-request-id']).toBe('trace-fast-1');
      expect((fast.body as Buffer).equals(full.body as Buffer)).toBe(true);
      expect(serviceHeaders(fast.headers)).toEqual(serviceHeaders(full.headers));

      const notModified = await read(path, { 'If-None-Match': full.headers.etag });
      expect(notModified.status).toBe(304);
      expect(notModified.headers.etag).toBe(full.headers.etag);
      expect(notModified.headers['x-frame-options']).toBeUndefined();
    }
  });

  it('leaves everything else to the full route: errors, other keys, other methods', async () => {
    const tenant = await createTenant(ctx);
    const other = await createTenant(ctx);
    await createAgent(ctx, tenant, { name: 'kept' });
    const { key } = await createApiKey(ctx, tenant, 'service');
    const { key: otherKey } = await createApiKey(ctx, other, 'service');
    const path = '/internal/v1/agents/kept/config';
    expect((await ctx.http.get(path).set('X-API-Key', key)).status).toBe(200);
    expect((await ctx.http.get(path).set('X-API-Key', key)).status).toBe(200);

    expectError(await ctx.http.get(path).set('X-API-Key', otherKey), 404, 'AGENT_NOT_FOUND');
    expectError(
      await ctx.http.get(`${path}?label=Not%20A%20Label`).set('X-API-Key', key),
      400,
      'VALIDATION_FAILED',
    );
    expect((await ctx.http.get(path).set('X-API-Key', 'agt_unknown_key_that_does_not_exist')).status).toBe(
      401,
    );
    const posted = await ctx.http.post(path).set('X-API-Key', key);
    expect(posted.status).toBe(405);
    expect(posted.headers.allow).toBe('GET, HEAD, OPTIONS');
  });
});
