import Redis from 'ioredis';
import { Client } from 'pg';
import { createTenant, TestTenant } from '../factories/tenant.factory';
import { expectError } from '../helpers/envelope';
import { OpenAiCompatibleServer } from '../helpers/openai-compatible-server';
import { SseClient } from '../helpers/sse-client';
import { postSse } from '../helpers/sse-post';
import { startTestApp, TestApp } from '../helpers/test-app';
import { dataOf, openAiAgent, textOf, waitForStatus, waitUntil } from './run-helpers';

const WORDS = Array.from({ length: 30 }, (_, i) => `w${i} `);

describe('runs across instances', () => {
  let a: TestApp;
  let b: TestApp;
  let upstream: OpenAiCompatibleServer;
  let tenant: TestTenant;
  let operator: string;

  beforeAll(async () => {
    upstream = await new OpenAiCompatibleServer(() => ({ chunks: WORDS, chunkDelayMs: 20 })).start();
    a = await startTestApp({ env: { RUN_HEARTBEAT_MS: '200', RUN_INTERRUPTED_AFTER_MS: '5000' } });
    b = await startTestApp({ database: a.database, env: { REDIS_PREFIX: a.settings.redisPrefix } });
    tenant = await createTenant(a, { tier: 'pro' });
    operator = `Bearer ${tenant.token('operator')}`;
  });
  afterAll(async () => {
    await b.close();
    await a.close();
    await upstream.close();
  });

  it('a run executing on A is joined through B with Last-Event-ID (no gap, no duplicate)', async () => {
    upstream.respondWith(() => ({ chunks: WORDS, chunkDelayMs: 20 }));
    const agent = await openAiAgent(a, tenant, upstream.baseUrl);
    const onA = await postSse(
      `${a.url}/api/v1/chat`,
      { Authorization: operator },
      { agent_id: agent.id, message: 'x', stream: true },
    );
    await onA.waitFor(6);
    const runId = dataOf(onA.events[0]).run_id as string;
    const onB = await SseClient.open(`${b.url}/api/v1/runs/${runId}/stream`, {
      Authorization: operator,
      'Last-Event-ID': '4',
    });
    await Promise.all([onA.body(), onB.body()]);
    expect(onB.events.map((e) => Number(e.id))).toEqual(onB.events.map((_, i) => i + 5));
    expect(onB.events.map((e) => [e.id, e.event, dataOf(e)])).toEqual(
      onA.events.slice(4).map((e) => [e.id, e.event, dataOf(e)]),
    );
    expect(textOf(onA.events)).toBe(WORDS.join(''));
  });

  it('events go on the bus only once another instance follows the run', async () => {
    const watcher = new Redis(process.env.AGENTRY_TEST_REDIS_URL as string);
    const published = new Map<string, number>();
    const announced = new Set<string>();
    watcher.on('pmessage', (_pattern: string, channel: string, message: string) => {
      if (channel.endsWith('run-interest')) {
        for (const runId of (JSON.parse(message) as { runs: string[] }).runs) announced.add(runId);
        return;
      }
      const runId = channel.slice(channel.lastIndexOf(':') + 1);
      published.set(runId, (published.get(runId) ?? 0) + 1);
    });
    await watcher.psubscribe(
      `${a.settings.redisPrefix}run-events:*`,
      `${a.settings.redisPrefix}run-interest`,
    );
    try {
      upstream.respondWith(() => ({ chunks: WORDS, chunkDelayMs: 20 }));
      const agent = await openAiAgent(a, tenant, upstream.baseUrl);
      const chat = () =>
        postSse(
          `${a.url}/api/v1/chat`,
          { Authorization: operator },
          { agent_id: agent.id, message: 'x', stream: true },
        );
      // Streamed by the instance that executes it: nothing for the bus.
      const alone = await chat();
      await alone.body();
      const aloneId = dataOf(alone.events[0]).run_id as string;
      expect(textOf(alone.events)).toBe(WORDS.join(''));

      // Followed through B: B announces its interest and A publishes what follows.
      const followed = await chat();
      await followed.waitFor(3);
      const followedId = dataOf(followed.events[0]).run_id as string;
      const onB = await SseClient.open(`${b.url}/api/v1/runs/${followedId}/stream`, {
        Authorization: operator,
      });
      await Promise.all([followed.body(), onB.body()]);
      expect(textOf(onB.events)).toBe(WORDS.join(''));
      expect(onB.events.map((e) => Number(e.id))).toEqual(onB.events.map((_, i) => i + 1));
      // Nobody asked for the first run: no interest, no events on the bus.
      expect(announced.has(aloneId)).toBe(false);
      expect(published.get(aloneId)).toBeUndefined();
      expect(announced.has(followedId)).toBe(true);
      expect(published.get(followedId)).toBeGreaterThan(0);
    } finally {
      watcher.disconnect();
    }
  });

  it('cancel through B reaches the run executing on A, which aborts its upstream call', async () => {
    upstream.respondWith(() => ({ chunks: WORDS, hangAfter: 2 }));
    const agent = await openAiAgent(a, tenant, upstream.baseUrl);
    const onA = await postSse(
      `${a.url}/api/v1/chat`,
      { Authorization: operator },
      { agent_id: agent.id, message: 'x', stream: true },
    );
    await onA.waitFor(4);
    const runId = dataOf(onA.events[0]).run_id as string;
    const request = upstream.requests[upstream.requests.length - 1];
    const res = await b.http.post(`/api/v1/runs/${runId}/cancel`).set('Authorization', operator);
    expect(res.body).toEqual({ run_id: runId, status: 'cancelled', message: 'Run cancelled' });
    expect(await request.clientClosed).toBe(true);
    await onA.body();
    expect(onA.events[onA.events.length - 1].event).toBe('run_cancelled');
  });

  it('pause through B takes effect on A at the step boundary; resume through B completes on B', async () => {
    let calls = 0;
    upstream.respondWith((req) => {
      calls++;
      return req.body.messages.some((m) => m.role === 'tool')
        ? { chunks: ['forty-two'] }
        : {
            chunks: ['thinking '],
            toolCalls: [{ id: 'c', name: 'calculator', arguments: '{"expression":"40+2"}' }],
            delayMs: 300,
          };
    });
    const agent = await openAiAgent(a, tenant, upstream.baseUrl, { tools: ['calculator'] });
    const onA = await postSse(
      `${a.url}/api/v1/chat`,
      { Authorization: operator },
      { agent_id: agent.id, message: 'x', stream: true },
    );
    await onA.waitFor(2);
    const runId = dataOf(onA.events[0]).run_id as string;
    const paused = await b.http.post(`/api/v1/runs/${runId}/pause`).set('Authorization', operator);
    expect(paused.body.status).toBe('paused');
    const before = calls;
    const resumed = await b.http.post(`/api/v1/runs/${runId}/resume`).set('Authorization', operator);
    expect(resumed.body.status).toBe('running');
    const run = await waitForStatus(b, operator, runId, ['completed']);
    expect(run.response_content).toBe('forty-two');
    expect(calls).toBe(before + 1);
    await onA.body();
    expect(onA.events.map((e) => e.event)).toEqual(
      expect.arrayContaining(['run_paused', 'run_resumed', 'run_completed']),
    );
    expect(onA.events.map((e) => Number(e.id))).toEqual(onA.events.map((_, i) => i + 1));
  });

  it("a model call begun beside the admission is closed when B filled the tenant's runs meanwhile", async () => {
    const full = await createTenant(a, { tier: 'pro', limits: { max_concurrent_runs: 10 } });
    const auth = { Authorization: `Bearer ${full.token('operator')}` };
    upstream.respondWith(() => ({ chunks: ['a', 'b'], hangAfter: 1 }));
    const agent = await openAiAgent(a, full, upstream.baseUrl);
    const chat = (app: TestApp, message: string) =>
      postSse(`${app.url}/api/v1/chat`, auth, { agent_id: agent.id, message, stream: true });
    // A counts one run of the tenant; B then admits nine more, up to the limit.
    const streams = [await chat(a, 'first')];
    for (let i = 0; i < 9; i++) streams.push(await chat(b, `b${i}`));
    await Promise.all(streams.map((s) => s.waitFor(3)));
    // The tenant's admission lock, held here: A's admission waits while its early model call goes out.
    const db = new Client({ connectionString: a.database.url });
    await db.connect();
    try {
      await db.query(`SELECT pg_advisory_lock(hashtext('runs:' || $1))`, [full.id]);
      const refused = a.http
        .post('/api/v1/chat')
        .set(auth)
        .send({ agent_id: agent.id, message: 'one too many', stream: true })
        .then((res) => res);
      await waitUntil(() =>
        upstream.requests.some((r) => r.body.messages.at(-1)?.content === 'one too many'),
      );
      await db.query(`SELECT pg_advisory_unlock(hashtext('runs:' || $1))`, [full.id]);
      expectError(await refused, 429, 'CONCURRENT_RUNS_EXCEEDED');
      const early = upstream.requests.find((r) => r.body.messages.at(-1)?.content === 'one too many')!;
      expect(await early.clientClosed).toBe(true);
    } finally {
      await db.end();
    }
    const running = await a.http.get('/api/v1/runs?status=running&limit=100').set(auth);
    expect(running.body.total).toBe(10);
    expect(running.body.items.map((r: { input_query: string }) => r.input_query)).not.toContain(
      'one too many',
    );
    for (const run of running.body.items as Array<{ id: string }>) {
      await a.http.post(`/api/v1/runs/${run.id}/cancel`).set(auth).expect(200);
    }
    streams.forEach((s) => s.close());
  });

  /** An instance C sharing the database but not the bus: no message between it and A gets through. */
  async function withBuslessInstance(work: (c: TestApp) => Promise<void>): Promise<void> {
    const c = await startTestApp({ database: a.database, withoutRedis: true });
    try {
      await work(c);
    } finally {
      await c.close();
    }
  }

  /** A streamed chat executing on A, once `events` of it have arrived. */
  async function chatOnA(events: number) {
    const agent = await openAiAgent(a, tenant, upstream.baseUrl);
    const onA = await postSse(
      `${a.url}/api/v1/chat`,
      { Authorization: operator },
      { agent_id: agent.id, message: 'x', stream: true },
    );
    await onA.waitFor(events);
    return { onA, runId: dataOf(onA.events[0]).run_id as string };
  }

  it('a cancel whose bus message is lost still arrives: the intent is stored and read with the heartbeat', async () => {
    await withBuslessInstance(async (c) => {
      upstream.respondWith(() => ({ chunks: WORDS, hangAfter: 2 }));
      const { runId } = await chatOnA(4);
      const request = upstream.requests[upstream.requests.length - 1];
      await c.http.post(`/api/v1/runs/${runId}/cancel`).set('Authorization', operator).expect(200);
      expect((await waitForStatus(a, operator, runId, ['cancelled'])).status).toBe('cancelled');
      expect(await request.clientClosed).toBe(true);
      // C streams it too, from the stored log alone.
      const onC = await SseClient.open(`${c.url}/api/v1/runs/${runId}/stream`, { Authorization: operator });
      await onC.body();
      expect(onC.events[onC.events.length - 1].event).toBe('run_cancelled');
    });
  });

  it("a stream that hears no live event (its bus is not the executor's) follows the log and ends with the run", async () => {
    await withBuslessInstance(async (c) => {
      upstream.respondWith(() => ({ chunks: WORDS, chunkDelayMs: 20 }));
      const { onA, runId } = await chatOnA(2);
      const onC = await SseClient.open(`${c.url}/api/v1/runs/${runId}/stream`, { Authorization: operator });
      expect(onC.status).toBe(200);
      await onA.body();
      await onC.ended(15_000);
      expect(onC.events.map((e) => e.id)).toEqual(onA.events.map((e) => e.id));
      expect(onC.events[onC.events.length - 1].event).toBe('run_completed');
    });
  });
});
