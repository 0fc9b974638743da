import { createTenant } from '../factories/tenant.factory';
import { OpenAiCompatibleServer } from '../helpers/openai-compatible-server';
import { postSse } from '../helpers/sse-post';
import { startTestApp, TestApp } from '../helpers/test-app';
import { dataOf, openAiAgent, textOf } from './run-helpers';

const TOKENS = Array.from({ length: 20 }, (_, i) => `t${i} `);

describe('many concurrent runs on one instance', () => {
  let ctx: TestApp;
  let upstream: OpenAiCompatibleServer;

  beforeAll(async () => {
    upstream = await new OpenAiCompatibleServer(() => ({ chunks: TOKENS, chunkDelayMs: 5 })).start();
    // Frequent heartbeats: runs start while a heartbeat is in flight, which once marked them lost.
    ctx = await startTestApp({ env: { RUN_HEARTBEAT_MS: '50', RUN_INTERRUPTED_AFTER_MS: '5000' } });
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
  });
});
