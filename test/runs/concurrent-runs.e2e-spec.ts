import { DataSource } from 'typeorm';
import { createTenant } from '../factories/tenant.factory';
import { OpenAiCompatibleServer } from '../helpers/openai-compatible-server';
import { postSse } from '../helpers/sse-post';
import { startTestApp, TestApp } from '../helpers/test-app';
import { dataOf, openAiAgent, textOf } from './run-helpers';

/** The app's database connections, every one of them checked after the runs. */
const POOL_SIZE = 4;
const TOKENS = Array.from({ length: 20 }, (_, i) => `t${i} `);

describe('many concurrent runs on one instance', () => {
  let ctx: TestApp;
  let upstream: OpenAiCompatibleServer;

  beforeAll(async () => {
    upstream = await new OpenAiCompatibleServer(() => ({ chunks: TOKENS, chunkDelayMs: 5 })).start();
    // Frequent heartbeats: runs start while a heartbeat is in flight, which once marked them lost.
    ctx = await startTestApp({
      env: {
        RUN_HEARTBEAT_MS: '50',
        RUN_INTERRUPTED_AFTER_MS: '5000',
        DATABASE_POOL_SIZE: String(POOL_SIZE),
      },
    });
  });
  afterAll(async () => {
    await ctx.close();
    await upstream.close();
  });

  it('all complete with the full text, each stream in seq order', async () => {
    const tenant = await createTenant(ctx, { tier: 'enterprise' });
    const auth = `Bearer ${tenant.token('operator')}`;
    const agent = await openAiAgent(ctx, tenant, upstream.baseUrl);
    const streams = await Promise.all(
      Array.from({ length: 40 }, () =>
        postSse(
          `${ctx.url}/api/v1/chat`,
          { Authorization: auth },
          { agent_id: agent.id, message: 'go', stream: true },
        ),
      ),
    );
    await Promise.all(streams.map((s) => s.body()));
    for (const sse of streams) {
      expect(sse.events.map((e) => Number(e.id))).toEqual(sse.events.map((_, i) => i + 1));
      expect(textOf(sse.events)).toBe(TOKENS.join(''));
      expect(sse.events[sse.events.length - 1].event).toBe('run_completed');
    }
    const runIds = new Set(streams.map((s) => dataOf(s.events[0]).run_id));
    expect(runIds.size).toBe(40);

    // Each admission committed without waiting for the disk; no pooled connection kept that.
    const db = ctx.app.get(DataSource);
    const settings = await Promise.all(
      Array.from({ length: POOL_SIZE }, () =>
        db.transaction(async (manager) => {
          // Held a moment, so that the queries take every connection of the pool.
          await manager.query('SELECT pg_sleep(0.05)');
          const [row] = (await manager.query('SHOW synchronous_commit')) as [{ synchronous_commit: string }];
          return row.synchronous_commit;
        }),
      ),
    );
    expect(settings).toEqual(Array(POOL_SIZE).fill('on'));
  });
});
