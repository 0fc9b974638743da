import { Logger } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import type Redis from 'ioredis';

export type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/**
 * Fixed-window counter shared by every instance. KEYS: hits, block. ARGV: ttl ms, limit, block ms.
 * Returns hits, ms until the window resets, blocked flag, ms until the block ends.
 */
const INCREMENT_SCRIPT = `
local blockTtl = redis.call('PTTL', KEYS[2])
if blockTtl > 0 then
  return { tonumber(redis.call('GET', KEYS[1]) or '0'), redis.call('PTTL', KEYS[1]), 1, blockTtl }
end
local hits = redis.call('INCR', KEYS[1])
if hits == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if hits > tonumber(ARGV[2]) then
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
  return { hits, ttl, 1, tonumber(ARGV[3]) }
end
return { hits, ttl, 0, 0 }
`;

/** The script as a command of the connection: sent by its SHA1 (EVALSHA), in full only once. */
type WithIncrement = Redis & {
  agentryThrottle(
    hits: string,
    block: string,
    ttl: number,
    limit: number,
    blockMs: number,
  ): Promise<[number, number, number, number]>;
};

export class RedisThrottlerStorage implements ThrottlerStorage {
  private readonly logger = new Logger('RateLimit');
  private readonly redis: WithIncrement;

  constructor(
    redis: Redis,
    private readonly prefix: string,
  ) {
    redis.defineCommand('agentryThrottle', { numberOfKeys: 2, lua: INCREMENT_SCRIPT });
    this.redis = redis as WithIncrement;
  }

  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    name: string,
  ): Promise<ThrottlerStorageRecord> {
    const base = `${this.prefix}throttle:${name}:${key}`;
    try {
      const [hits, msLeft, blocked, blockMsLeft] = await this.redis.agentryThrottle(
        base,
        `${base}:block`,
        ttl,
        limit,
        blockDuration,
      );
      return {
        totalHits: hits,
        timeToExpire: Math.max(0, Math.ceil(msLeft / 1000)),
        isBlocked: blocked === 1,
        timeToBlockExpire: Math.max(1, Math.ceil(blockMsLeft / 1000)),
      };
    } catch (err) {
      // Rate limiting fails open: a Redis outage must not take the API down with it.
      this.logger.warn({ err: (err as Error).message }, 'rate-limit store unavailable; request allowed');
      return { totalHits: 0, timeToExpire: Math.ceil(ttl / 1000), isBlocked: false, timeToBlockExpire: 0 };
    }
  }
}
