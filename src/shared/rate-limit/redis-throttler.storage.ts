import { Logger } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import type Redis from 'ioredis';

export type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/**
 * Fixed-window counter shared by every instance. KEYS: hits, block. ARGV: ttl ms, limit, block ms,
 * hits to add. Returns hits, ms until the window resets, blocked flag, ms until the block ends.
 */
const INCREMENT_SCRIPT = `
local blockTtl = redis.call('PTTL', KEYS[2])
if blockTtl > 0 then
  return { tonumber(redis.call('GET', KEYS[1]) or '0'), redis.call('PTTL', KEYS[1]), 1, blockTtl }
end
local hits = redis.call('INCRBY', KEYS[1], ARGV[4])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
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
    add: number,
  ): Promise<[number, number, number, number]>;
};

/**
 * This instance's view of one counter: the count Redis last answered, hits sent and not yet
 * answered, and hits not yet sent.
 */
interface Window {
  hits: number;
  sending: number;
  unsent: number;
  resetAt: number;
  ttl: number;
  limit: number;
  blockDuration: number;
  blocked: boolean;
}

/** Counters this instance keeps a view of; the least recently created go first beyond this. */
const MAX_WINDOWS = 10_000;

/**
 * The counters live in Redis. A request waits for Redis only when its counter is at half its
 * limit or more (or unknown here): below that, it is counted here and sent with the others of the
 * same moment in one script call, so a tenant far from its limit pays no round trip per request,
 * and near it, every request is counted in Redis before it is let through.
 */
export class RedisThrottlerStorage implements ThrottlerStorage {
  private readonly logger = new Logger('RateLimit');
  private readonly redis: WithIncrement;
  private readonly windows = new Map<string, Window>();
  /** Counters with hits not yet sent (kept here too, so that one leaving `windows` keeps them). */
  private readonly pending = new Map<string, Window>();

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
    const now = Date.now();
    const known = this.windows.get(base);
    if (
      known &&
      !known.blocked &&
      now < known.resetAt &&
      known.limit === limit &&
      known.hits + known.sending + known.unsent + 1 <= limit / 2
    ) {
      known.unsent++;
      this.scheduleFlush(base, known);
      return {
        totalHits: known.hits + known.sending + known.unsent,
        timeToExpire: Math.ceil((known.resetAt - now) / 1000),
        isBlocked: false,
        timeToBlockExpire: 0,
      };
    }
    // Hits counted here and not yet sent go with this one.
    const add = 1 + (known?.unsent ?? 0);
    if (known) known.unsent = 0;
    try {
      const [hits, msLeft, blocked, blockMsLeft] = await this.send(base, ttl, limit, blockDuration, add);
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

  /**
   * Adds hits to a counter in Redis and keeps what it answers as this instance's view. Until the
   * answer comes, the hits count as sending, so the requests of that moment are not let through
   * here against a count that does not hold them yet.
   */
  private async send(
    base: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    add: number,
  ): Promise<[number, number, number, number]> {
    const sentWith = this.windows.get(base);
    if (sentWith) sentWith.sending += add;
    let answer: [number, number, number, number];
    try {
      answer = await this.redis.agentryThrottle(base, `${base}:block`, ttl, limit, blockDuration, add);
    } finally {
      if (sentWith) sentWith.sending -= add;
    }
    const [hits, msLeft, blocked] = answer;
    let window = this.windows.get(base);
    if (!window) {
      if (this.windows.size >= MAX_WINDOWS) this.windows.delete(this.windows.keys().next().value!);
      window = { hits, sending: 0, unsent: 0, resetAt: 0, ttl, limit, blockDuration, blocked: false };
      this.windows.set(base, window);
    }
    Object.assign(window, {
      hits,
      resetAt: Date.now() + msLeft,
      ttl,
      limit,
      blockDuration,
      blocked: blocked === 1,
    });
    return answer;
  }

  /** Sends the hits counted here, once the requests of this moment have been counted. */
  private scheduleFlush(base: string, window: Window): void {
    if (this.pending.size === 0) setImmediate(() => this.flush());
    this.pending.set(base, window);
  }

  private flush(): void {
    for (const [base, window] of this.pending) {
      if (window.unsent > 0) {
        const add = window.unsent;
        window.unsent = 0;
        this.send(base, window.ttl, window.limit, window.blockDuration, add).catch((err: Error) =>
          this.logger.warn({ err: err.message }, 'rate-limit store unavailable; hits not counted'),
        );
      }
    }
    this.pending.clear();
  }
}
