import { Client } from 'pg';
import { AgentJson, createAgent } from '../factories/agent.factory';
import { eventually } from '../factories/change.factory';
import { createApiKey, createTenant, TestTenant } from '../factories/tenant.factory';
import { SseClient } from '../helpers/sse-client';
import { startTestApp, TestApp } from '../helpers/test-app';
import { ThrowawayRedis } from './throwaway-servers';

/**
 * A real redis-server process of this suite's own, killed and started again while agents are
 * being updated: no write fails, and a change-stream consumer that resumes with Last-Event-ID
 * when its stream drops receives every committed change, in order, none doubled.
 */
describe('Redis killed and restarted under write load', () => {
  const redis = new ThrowawayRedis();
  let ctx: TestApp;
  let tenant: TestTenant;

  beforeAll(async () => {
    await redis.start();
    ctx = await startTestApp({ env: { REDIS_URL: redis.url, OUTBOX_POLL_MS: '200' } });
    tenant = await createTenant(ctx, { tier: 'enterprise' });
  });
  afterAll(async () => {
    await ctx?.close();
    await redis.stop();
  });

  /** A consumer of /internal/v1/changes/stream that reconnects from its last id, as the SDK does. */
  function consume(url: string, key: string, after: number): { ids: number[]; stop(): void } {
    const ids: number[] = [];
    let stopped = false;
    let client: SseClient | undefined;
    void (async () => {
      while (!stopped) {
        const last = ids.length ? ids[ids.length - 1] : after;
        try {
          client = await SseClient.open(`${url}/internal/v1/changes/stream`, {
            'X-API-Key': key,
            'Last-Event-ID': String(last),
          });
          const seen = client;
          let read = 0;
          // Drain this connection's events as they come, until it ends.
          for (;;) {
            if (stopped) break;
            try {
              await seen.waitFor(read + 1, 1_000);
            } catch (error) {
              if (/ended/.test((error as Error).message)) break;
            }
            while (read < seen.events.length) {
              const event = seen.events[read++];
              if (event.id) ids.push(Number(event.id));
            }
          }
        } catch {
          // the app refused or dropped the connection: try again
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    return {
      ids,
      stop: () => {
        stopped = true;
        client?.close();
      },
    };
  }

  it('loses no write and delivers every change after recovery, in order, none doubled', async () => {
    const serviceKey = await createApiKey(ctx, tenant, 'service');
    const agents: AgentJson[] = [];
    for (let i = 0; i < 3; i++) agents.push(await createAgent(ctx, tenant));
    const db = new Client({ connectionString: ctx.database.url });
    await db.connect();
    const committed = async (): Promise<number[]> =>
      (
        await db.query<{ id: string }>('SELECT id FROM change_events WHERE tenant_id = $1 ORDER BY id', [
          tenant.id,
        ])
      ).rows.map((r) => Number(r.id));
    const start = (await committed()).at(-1) ?? 0;
    const consumer = consume(ctx.url, serviceKey.key, start);

    const failures: string[] = [];
    let writes = 0;
    const editor = `Bearer ${tenant.token('editor')}`;
    const writer = async (agent: AgentJson, count: number) => {
      for (let i = 0; i < count; i++) {
        const res = await ctx.http
          .patch(`/api/v1/agents/${agent.id}`)
          .set('Authorization', editor)
          .send({ description: `write ${i}` })
          .timeout({ response: 30_000 });
        writes++;
        if (res.status !== 200) failures.push(`${res.status} ${JSON.stringify(res.body)}`);
      }
    };
    const load = Promise.all(agents.map((agent) => writer(agent, 30)));
    await eventually(() => writes >= 15 && consumer.ids.length > 0, 'writes and events before the outage');
    await redis.stop('SIGKILL');
    const atKill = writes;
    await eventually(() => writes >= atKill + 20, 'writes while Redis is down', 30_000);
    await redis.start();
    await load;

    expect(failures).toEqual([]);
    const expected = (await committed()).filter((id) => id > start);
    expect(expected.length).toBe(3 * 30);
    await eventually(() => consumer.ids.length >= expected.length, 'every change delivered', 30_000);
    // Anything doubled would show up after the last one; give it a moment to arrive.
    await new Promise((resolve) => setTimeout(resolve, 500));
    consumer.stop();
    await db.end();
    expect(consumer.ids).toEqual(expected);
  });
});
