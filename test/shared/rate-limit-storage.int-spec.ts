import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { RedisThrottlerStorage } from '../../src/shared/rate-limit/redis-throttler.storage';
import { testServerUrls } from '../setup/test-env';

/** The rate-limit counters against the real Redis, without HTTP: what the throttler guard relies on. */
describe('rate-limit storage', () => {
  const prefix = `agentry-test-${randomBytes(4).toString('hex')}:`;
  let redis: Redis;

  beforeAll(() => {
    redis = new Redis(testServerUrls().redisUrl);
  });
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  const allowed = (records: Array<{ totalHits: number; isBlocked: boolean }>, limit: number) =>
    records.filter((r) => !r.isBlocked && r.totalHits <= limit).length;

  it('lets no more than the limit through in one burst, while the counts of that moment are on their way', async () => {
    const storage = new RedisThrottlerStorage(redis, prefix);
    const hit = () => storage.increment('tenant-a', 60_000, 40, 60_000, 'tenant');
    // The first request makes the counter known here; the burst's first requests are then counted
    // here, and those on their way to Redis must hold back the rest.
    expect(allowed([await hit()], 40)).toBe(1);
    const burst = await Promise.all(Array.from({ length: 100 }, hit));
    expect(allowed(burst, 40)).toBe(39);
  });

  it('counts in Redis every hit let through here, with none lost between bursts', async () => {
    const storage = new RedisThrottlerStorage(redis, prefix);
    const hit = () => storage.increment('tenant-b', 60_000, 1000, 60_000, 'tenant');
    await hit();
    for (let round = 0; round < 5; round++) await Promise.all(Array.from({ length: 50 }, hit));
    // The last hits counted here are sent on the next turn of the event loop.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(Number(await redis.get(`${prefix}throttle:tenant:tenant-b`))).toBe(251);
  });
});
