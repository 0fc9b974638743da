import { createTenant } from '../factories/tenant.factory';
import { postSse } from '../helpers/sse-post';
import { TcpProxy } from '../helpers/tcp-proxy';
import { startTestApp, TestApp } from '../helpers/test-app';
import { createTestDatabase, TestDatabase } from '../helpers/test-database';
import { dataOf, scriptedAgent, textOf } from './run-helpers';

const WORDS = Array.from({ length: 40 }, (_, i) => `w${i}`);

describe('run events across a database outage mid-run', () => {
  let ctx: TestApp;
  let database: TestDatabase;
  let proxy: TcpProxy;

  beforeAll(async () => {
    database = await createTestDatabase();
    const target = new URL(database.url);
    proxy = new TcpProxy(target.hostname, Number(target.port || 5432));
    const port = await proxy.start();
    target.host = `127.0.0.1:${port}`;
    ctx = await startTestApp({
      database: { ...database, url: target.toString() },
      env: { RUN_EVENT_FLUSH_MS: '20' },
    });
  });
  afterAll(async () => {
    await ctx.close();
    await proxy.stop();
    await database.drop();
  });

  it('keeps the events it could not write, says so, and stores every streamed event once back', async () => {
    const tenant = await createTenant(ctx);
    const auth = `Bearer ${tenant.token('operator')}`;
    const agent = await scriptedAgent(ctx, tenant, [WORDS.join(' ')], {
      model: { provider: 'scripted', model: 'script', replies: [WORDS.join(' ')], token_delay_ms: 25 },
    });
    const stream = await postSse(
      `${ctx.url}/api/v1/chat`,
      { Authorization: auth },
      { agent_id: agent.id, message: 'go', stream: true },
    );
    await stream.waitFor(5);
    await proxy.cut();
    // Several flush intervals fail meanwhile; the tokens keep streaming from memory.
    await new Promise((resolve) => setTimeout(resolve, 300));
    await proxy.restore();
    await stream.body();

    expect(textOf(stream.events)).toBe(WORDS.join(' '));
    expect(stream.events[stream.events.length - 1].event).toBe('run_completed');
    expect(ctx.logs.text).toContain('writing run events failed');

    const runId = dataOf(stream.events[0]).run_id as string;
    const stored = await ctx.http
      .get(`/api/v1/runs/${runId}/events?limit=100`)
      .set('Authorization', auth)
      .expect(200);
    const streamed = stream.events.map((e) => ({ seq: Number(e.id), type: e.event, data: dataOf(e) }));
    expect(
      (stored.body.events as Array<{ seq: number; type: string; data: unknown }>).map(
        ({ seq, type, data }) => ({
          seq,
          type,
          data,
        }),
      ),
    ).toEqual(streamed);
  });
});
