import Redis from 'ioredis';
import { commitChanges, eventually } from '../factories/change.factory';
import { createTenant } from '../factories/tenant.factory';
import { TcpProxy } from '../helpers/tcp-proxy';
import { startTestApp, TestApp } from '../helpers/test-app';

describe('change events across a Redis outage', () => {
  let ctx: TestApp;
  let proxy: TcpProxy;
  let subscriber: Redis;

  beforeAll(async () => {
    const redis = new URL(process.env.AGENTRY_TEST_REDIS_URL as string);
    proxy = new TcpProxy(redis.hostname, Number(redis.port || 6379));
    const port = await proxy.start();
    ctx = await startTestApp({ env: { REDIS_URL: `redis://127.0.0.1:${port}`, OUTBOX_POLL_MS: '200' } });
    subscriber = new Redis(process.env.AGENTRY_TEST_REDIS_URL as string);
  });
  afterAll(async () => {
    subscriber.disconnect();
    await ctx.close();
    await proxy.stop();
  });

  it('keeps writing while Redis is unreachable, then delivers every event in order, none missing or doubled', async () => {
    const tenant = await createTenant(ctx);
    const received: number[] = [];
    subscriber.on('message', (_channel: string, raw: string) =>
      received.push((JSON.parse(raw) as { id: number }).id),
    );
    await subscriber.subscribe(`${ctx.settings.redisPrefix}changes:${tenant.id}`);

    const before = await commitChanges(ctx, tenant.id, 3);
    await eventually(() => received.length === 3, 'events before the outage');

    await proxy.cut();
    const during = await commitChanges(ctx, tenant.id, 10);
    // Writes went through; the stream of events waits for Redis.
    expect(during).toHaveLength(10);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(received).toEqual(before);
    // Reads that need no Redis keep working meanwhile.
    const health = await ctx.http.get('/api/v1/health/live');
    expect(health.status).toBe(200);

    await proxy.restore();
    await eventually(() => received.length >= 13, 'events after Redis returned', 20_000);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(received).toEqual([...before, ...during]);
  });
});
