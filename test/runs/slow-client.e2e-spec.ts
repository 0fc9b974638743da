import { SLOW_CLIENT_REASON } from '../../src/shared/http/sse';
import { createTenant, TestTenant } from '../factories/tenant.factory';
import { OpenAiCompatibleServer } from '../helpers/openai-compatible-server';
import { SseClient } from '../helpers/sse-client';
import { postSse } from '../helpers/sse-post';
import { startTestApp, TestApp } from '../helpers/test-app';
import { dataOf, openAiAgent, textOf, waitForStatus } from './run-helpers';

/** 200 chunks of 50 KB: 10 MB, more than the socket buffers on both sides of a loopback connection hold. */
const CHUNKS = Array.from({ length: 200 }, (_, i) => `${String(i).padStart(4, '0')}${'x'.repeat(50_000)} `);

/** A stream whose client stops reading is ended, not held in memory; the client resumes where it stopped. */
describe('a stream whose client does not read', () => {
  let ctx: TestApp;
  let upstream: OpenAiCompatibleServer;
  let tenant: TestTenant;
  let operator: string;

  beforeAll(async () => {
    upstream = await new OpenAiCompatibleServer(() => ({ chunks: CHUNKS })).start();
    ctx = await startTestApp({ env: { SSE_MAX_BUFFERED: '256kb' } });
    tenant = await createTenant(ctx, { tier: 'pro' });
    operator = `Bearer ${tenant.token('operator')}`;
  });
  afterAll(async () => {
    await ctx.close();
    await upstream.close();
  });

  it('is ended once it falls behind, the run goes on, and Last-Event-ID gives the rest exactly', async () => {
    const agent = await openAiAgent(ctx, tenant, upstream.baseUrl);
    // on_disconnect cancel: a stream this server ends is not a client gone.
    const sse = await postSse(
      `${ctx.url}/api/v1/chat`,
      { Authorization: operator },
      { agent_id: agent.id, message: 'a long answer', stream: true, on_disconnect: 'cancel' },
    );
    await sse.waitFor(1);
    sse.pause();
    const runId = dataOf(sse.events[0]).run_id as string;
    await waitForStatus(ctx, operator, runId, ['completed'], 60_000);

    sse.resume();
    await sse.ended(30_000);
    expect(sse.comments).toContain(`closed: ${SLOW_CLIENT_REASON}`);
    const types = sse.events.map((event) => event.event);
    expect(types).not.toContain('run_completed');
    const taken = sse.events.length;
    expect(taken).toBeGreaterThan(1);

    const rest = await SseClient.open(`${ctx.url}/api/v1/runs/${runId}/stream`, {
      Authorization: operator,
      'Last-Event-ID': sse.events[taken - 1].id!,
    });
    await rest.ended(30_000);
    const all = [...sse.events, ...rest.events];
    expect(all.map((event) => Number(event.id))).toEqual(all.map((_, i) => i + 1));
    expect(all[all.length - 1].event).toBe('run_completed');
    expect(textOf(all)).toBe(CHUNKS.join(''));
  }, 120_000);

  it('replays a long stored run to a client that reads slowly, page by page, all of it', async () => {
    const agent = await openAiAgent(ctx, tenant, upstream.baseUrl);
    const answer = await ctx.http
      .post('/api/v1/chat')
      .set('Authorization', operator)
      .send({ agent_id: agent.id, message: 'a long answer', stream: false });
    expect(answer.status).toBe(200);
    const runId = answer.body.run_id as string;

    const joined = await SseClient.open(`${ctx.url}/api/v1/runs/${runId}/stream`, {
      Authorization: operator,
    });
    joined.pause();
    // Reads in bursts, as a client on a slow link would.
    const reader = setInterval(() => {
      joined.resume();
      setTimeout(() => joined.pause(), 5);
    }, 20);
    try {
      await joined.ended(60_000);
    } finally {
      clearInterval(reader);
      joined.resume();
    }
    expect(joined.comments).not.toContain(`closed: ${SLOW_CLIENT_REASON}`);
    expect(joined.events[joined.events.length - 1].event).toBe('run_completed');
    expect(textOf(joined.events)).toBe(CHUNKS.join(''));
  }, 120_000);
});
