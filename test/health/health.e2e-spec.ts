import { expectError } from '../helpers/envelope';
import { startTestApp, TestApp } from '../helpers/test-app';

const healthy = (cache: string) => ({
  status: 'healthy',
  version: '0.0.0-test',
  timestamp: expect.any(String),
  components: { database: 'healthy', cache },
});

describe('health', () => {
  describe('with PostgreSQL and Redis up', () => {
    let ctx: TestApp;
    beforeAll(async () => {
      ctx = await startTestApp();
    });
    afterAll(() => ctx.close());

    it('reports healthy database and cache, and the version', async () => {
      const res = await ctx.http.get('/api/v1/health');
      expect(res.status).toBe(200);
      expect(res.body).toEqual(healthy('healthy'));
      expect(Number.isNaN(Date.parse(res.body.timestamp))).toBe(false);
    });

    it('is ready, and live without checking anything', async () => {
      const ready = await ctx.http.get('/api/v1/health/ready');
      expect(ready.status).toBe(200);
      expect(ready.body).toEqual(healthy('healthy'));
      const live = await ctx.http.get('/api/v1/health/live');
      expect(live.status).toBe(200);
      expect(live.body).toEqual({ status: 'ok', uptime: expect.any(Number) });
    });

    it('needs no credentials, and ignores bad ones', async () => {
      const res = await ctx.http.get('/api/v1/health').set('Authorization', 'Bearer garbage');
      expect(res.status).toBe(200);
    });
  });

  describe('without Redis configured', () => {
    let ctx: TestApp;
    beforeAll(async () => {
      ctx = await startTestApp({ withoutRedis: true });
    });
    afterAll(() => ctx.close());

    it('reports the cache as disabled, and is healthy and ready', async () => {
      expect((await ctx.http.get('/api/v1/health')).body).toEqual(healthy('disabled'));
      const ready = await ctx.http.get('/api/v1/health/ready');
      expect(ready.status).toBe(200);
      expect(ready.body.components.cache).toBe('disabled');
    });
  });

  describe('with Redis configured but unreachable', () => {
    let ctx: TestApp;
    beforeAll(async () => {
      // withoutRedis keeps the harness from setting the real REDIS_URL; this one points at a closed port.
      ctx = await startTestApp({ withoutRedis: true, env: { REDIS_URL: 'redis://127.0.0.1:1' } });
    });
    afterAll(() => ctx.close());

    it('answers 503 SERVICE_UNAVAILABLE naming the cache, on health and ready', async () => {
      for (const path of ['/api/v1/health', '/api/v1/health/ready']) {
        const error = expectError(await ctx.http.get(path), 503, 'SERVICE_UNAVAILABLE');
        expect(error.message).toBe('Unhealthy: cache');
        expect(error.details).toEqual([
          { field: 'cache', code: 'unhealthy', message: 'cache did not answer' },
        ]);
        expect(error.path).toBe(path);
      }
    });

    it('stays live, and keeps serving the API (rate limits fail open)', async () => {
      expect((await ctx.http.get('/api/v1/health/live')).status).toBe(200);
      const res = await ctx.http.get('/api/v1/api-keys').set('X-API-Key', ctx.bootstrapKey);
      expect(res.status).toBe(200);
      expect(res.body.total).toBe(1);
    });
  });
});
