import http from 'node:http';
import { DataSource } from 'typeorm';
import { createTenant, TestTenant } from '../factories/tenant.factory';
import { expectError } from '../helpers/envelope';
import { OpenAiCompatibleServer } from '../helpers/openai-compatible-server';
import { SseClient } from '../helpers/sse-client';
import { postSse } from '../helpers/sse-post';
import { RunEventsRepository } from '../../src/modules/runs/run-events.repository';
import { startTestApp, TestApp } from '../helpers/test-app';
import { dataOf, openAiAgent, scriptedAgent, textOf, waitForStatus, waitUntil } from './run-helpers';

const LONG = Array.from({ length: 40 }, (_, i) => `word${i} `);

describe('runs', () => {
  let ctx: TestApp;
  let upstream: OpenAiCompatibleServer;
  let tenant: TestTenant;
  let operator: string;
  let viewer: string;

  beforeAll(async () => {
    upstream = await new OpenAiCompatibleServer(() => ({ chunks: ['ok'] })).start();
    ctx = await startTestApp();
    tenant = await createTenant(ctx, { tier: 'pro' });
    operator = `Bearer ${tenant.token('operator')}`;
    viewer = `Bearer ${tenant.token('viewer')}`;
  });
  afterAll(async () => {
    await ctx.close();
    await upstream.close();
  });

  /** The model streams LONG slowly to the message 'slow', and answers anything else 'quick'. */
  const slowOrQuick = () =>
    upstream.respondWith((req) =>
      req.body.messages[req.body.messages.length - 1].content === 'slow'
        ? { chunks: LONG, chunkDelayMs: 20 }
        : { chunks: ['quick'] },
    );

  /** An agent whose first step (a calculator call) takes 300 ms, time enough to pause it. */
  const calculatingAgent = () =>
    scriptedAgent(
      ctx,
      tenant,
      [
        {
          content: 'Computing. ',
          tool_calls: [{ name: 'calculator', arguments: { expression: '2+3' } }],
          delay_ms: 300,
        },
        'The sum is five.',
      ],
      { tools: ['calculator'] },
    );

  const chat = (body: Record<string, unknown>) =>
    postSse(`${ctx.url}/api/v1/chat`, { Authorization: operator }, { stream: true, ...body });

  it('cancel mid-stream closes the upstream connection and ends the run cancelled', async () => {
    upstream.respondWith(() => ({ chunks: LONG, hangAfter: 3 }));
    const agent = await openAiAgent(ctx, tenant, upstream.baseUrl);
    const sse = await chat({ agent_id: agent.id, message: 'go' });
    await sse.waitFor(5); // run_started, step_started, 3 deltas
    const runId = dataOf(sse.events[0]).run_id as string;
    const request = upstream.requests[upstream.requests.length - 1];
    const res = await ctx.http.post(`/api/v1/runs/${runId}/cancel`).set('Authorization', operator);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ run_id: runId, status: 'cancelled', message: 'Run cancelled' });
    expect(await request.clientClosed).toBe(true);
    await sse.body();
    expect(sse.events[sse.events.length - 1].event).toBe('run_cancelled');
    expect(textOf(sse.events)).toBe(LONG.slice(0, 3).join(''));
    // Ended runs cannot be controlled again: 409 with the current state.
    const again = expectError(
      await ctx.http.post(`/api/v1/runs/${runId}/cancel`).set('Authorization', operator),
      409,
      'INVALID_RUN_STATE',
    );
    expect((again.details as Array<{ status: string }>)[0].status).toBe('cancelled');
    expectError(
      await ctx.http.post(`/api/v1/runs/${runId}/pause`).set('Authorization', operator),
      409,
      'INVALID_RUN_STATE',
    );
    expectError(
      await ctx.http.post(`/api/v1/runs/${runId}/resume`).set('Authorization', operator),
      409,
      'INVALID_RUN_STATE',
    );
  });

  it('a join with Last-Event-ID replays exactly the missing events, then follows live', async () => {
    upstream.respondWith(() => ({ chunks: LONG, chunkDelayMs: 15 }));
    const agent = await openAiAgent(ctx, tenant, upstream.baseUrl);
    const first = await chat({ agent_id: agent.id, message: 'long' });
    await first.waitFor(8);
    first.close(); // on_disconnect defaults to continue
    const seen = first.events.slice(0, 8);
    const runId = dataOf(seen[0]).run_id as string;
    const joined = await SseClient.open(`${ctx.url}/api/v1/runs/${runId}/stream`, {
      Authorization: viewer,
      'Last-Event-ID': seen[7].id!,
    });
    expect(joined.status).toBe(200);
    await joined.body();
    const all = [...seen, ...joined.events];
    expect(all.map((e) => Number(e.id))).toEqual(all.map((_, i) => i + 1));
    expect(textOf(all)).toBe(LONG.join(''));
    expect(all[all.length - 1].event).toBe('run_completed');
    // Joining a finished run from the start replays the whole log and ends, each event the same
    // text that was streamed (its keys in the same order too).
    const replay = await SseClient.open(`${ctx.url}/api/v1/runs/${runId}/stream`, { Authorization: viewer });
    await replay.body();
    expect(replay.events.map((e) => [e.id, e.event, e.data])).toEqual(
      all.map((e) => [e.id, e.event, e.data]),
    );
    const page = await ctx.http.get(`/api/v1/runs/${runId}/events?limit=100`).set('Authorization', viewer);
    expect(page.status).toBe(200);
    expect(
      (page.body.events as Array<{ seq: number; type: string; data: unknown }>).map((e) => [
        String(e.seq),
        e.type,
        JSON.stringify(e.data),
      ]),
    ).toEqual(all.map((e) => [e.id, e.event, e.data]));
  });

  it('a replay whose final event is the last of a full page of the log ends there', async () => {
    const words = Array.from({ length: 520 }, (_, i) => `w${i}`).join(' ');
    const agent = await scriptedAgent(ctx, tenant, [words]);
    const done = await ctx.http
      .post('/api/v1/chat')
      .set('Authorization', operator)
      .send({ agent_id: agent.id, message: 'long' });
    expect(done.status).toBe(200);
    const events = await ctx.http
      .get(`/api/v1/runs/${done.body.run_id}/events?limit=1`)
      .set('Authorization', viewer);
    const total = events.body.total as number;
    expect(total).toBeGreaterThan(500);
    // Exactly one page of the log (500 events) after the position, the final one last.
    for (const position of [total - 500, 0]) {
      const joined = await SseClient.open(`${ctx.url}/api/v1/runs/${done.body.run_id}/stream`, {
        Authorization: viewer,
        'Last-Event-ID': String(position),
      });
      await joined.ended(10_000);
      expect(joined.events).toHaveLength(total - position);
      expect(joined.events[joined.events.length - 1].event).toBe('run_completed');
    }
  });

  it('a join from past the end of a running run sends nothing and ends with the run', async () => {
    upstream.respondWith(() => ({ chunks: LONG, chunkDelayMs: 15 }));
    const agent = await openAiAgent(ctx, tenant, upstream.baseUrl);
    const first = await chat({ agent_id: agent.id, message: 'long' });
    await first.waitFor(2);
    const runId = dataOf(first.events[0]).run_id as string;
    const ahead = await SseClient.open(`${ctx.url}/api/v1/runs/${runId}/stream`, {
      Authorization: viewer,
      'Last-Event-ID': '100000',
    });
    expect(ahead.status).toBe(200);
    await first.body();
    await ahead.ended(15_000);
    expect(ahead.events).toEqual([]);
  });

  it('on_disconnect cancel cancels the run when the client goes away', async () => {
    upstream.respondWith(() => ({ chunks: LONG, hangAfter: 2 }));
    const agent = await openAiAgent(ctx, tenant, upstream.baseUrl);
    const sse = await chat({ agent_id: agent.id, message: 'bye', on_disconnect: 'cancel' });
    await sse.waitFor(4);
    const runId = dataOf(sse.events[0]).run_id as string;
    const request = upstream.requests[upstream.requests.length - 1];
    sse.close();
    await waitForStatus(ctx, operator, runId, ['cancelled']);
    expect(await request.clientClosed).toBe(true);
  });

  it('on_disconnect cancel holds for a chat waiting for its JSON answer too; continue keeps it running', async () => {
    upstream.respondWith(() => ({ chunks: LONG, hangAfter: 2 }));
    /** Sends a non-streamed chat and gives up on it once the model has been asked; its run. */
    const abandoned = async (onDisconnect: string) => {
      const agent = await openAiAgent(ctx, tenant, upstream.baseUrl);
      const asked = upstream.requests.length;
      const request = http.request(`${ctx.url}/api/v1/chat`, {
        method: 'POST',
        headers: { Authorization: operator, 'Content-Type': 'application/json' },
      });
      request.on('error', () => undefined);
      request.end(JSON.stringify({ agent_id: agent.id, message: 'bye', on_disconnect: onDisconnect }));
      await waitUntil(() => upstream.requests.length > asked);
      request.destroy();
      const runs = await ctx.http.get(`/api/v1/runs?agent_id=${agent.id}`).set('Authorization', operator);
      return { runId: runs.body.items[0].id as string, upstream: upstream.requests[asked] };
    };
    const cancelled = await abandoned('cancel');
    await waitForStatus(ctx, operator, cancelled.runId, ['cancelled']);
    expect(await cancelled.upstream.clientClosed).toBe(true);

    const kept = await abandoned('continue');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const run = await ctx.http.get(`/api/v1/runs/${kept.runId}`).set('Authorization', operator);
    expect(run.body.status).toBe('running');
    await ctx.http.post(`/api/v1/runs/${kept.runId}/cancel`).set('Authorization', operator).expect(200);
  });

  it('pause stops at the step boundary, resume continues from the checkpoint to the same answer', async () => {
    const agent = await calculatingAgent();
    const straight = await ctx.http
      .post('/api/v1/chat')
      .set('Authorization', operator)
      .send({ agent_id: agent.id, message: 'add' });
    expect(straight.body.response).toBe('The sum is five.');

    const sse = await chat({ agent_id: agent.id, message: 'add' });
    await sse.waitFor(2);
    const runId = dataOf(sse.events[0]).run_id as string;
    const paused = await ctx.http.post(`/api/v1/runs/${runId}/pause`).set('Authorization', operator);
    expect(paused.status).toBe(200);
    expect(paused.body).toEqual({ run_id: runId, status: 'paused', message: 'Run paused' });
    await waitUntil(() => sse.events.some((e) => e.event === 'run_paused'));
    const types = sse.events.map((e) => e.event);
    expect(types).toContain('step_completed');
    expect(types).toContain('checkpoint_created');
    expect(types).not.toContain('run_completed');

    const checkpoints = await ctx.http.get(`/api/v1/runs/${runId}/checkpoints`).set('Authorization', viewer);
    expect(checkpoints.body).toEqual({
      run_id: runId,
      total: 2,
      checkpoints: [
        expect.objectContaining({
          step_num: 1,
          description: 'after step 1',
          message_count: 3,
          total_tokens: expect.any(Number),
        }),
        expect.objectContaining({ step_num: 1, description: 'paused' }),
      ],
    });

    const resumed = await ctx.http.post(`/api/v1/runs/${runId}/resume`).set('Authorization', operator);
    expect(resumed.body).toEqual({ run_id: runId, status: 'running', message: 'Run resumed' });
    await sse.body();
    const last = sse.events[sse.events.length - 1];
    expect(last.event).toBe('run_completed');
    expect(dataOf(last).response).toBe(straight.body.response);
    expect(sse.events.map((e) => Number(e.id))).toEqual(sse.events.map((_, i) => i + 1));
    const run = await ctx.http.get(`/api/v1/runs/${runId}`).set('Authorization', viewer);
    expect(run.body.status).toBe('completed');
    expect(run.body.steps.map((s: { step_num: number }) => s.step_num)).toEqual([1, 2]);
  });

  it('a resumed run executes the configuration it started with; only its component’s key is read anew', async () => {
    const editor = `Bearer ${tenant.token('editor')}`;
    const model = (name: string, key: string) =>
      ctx.http
        .put('/api/v1/config/pinned-model')
        .set('Authorization', editor)
        .send({
          config: {
            type: 'model',
            provider: 'openai',
            model: name,
            base_url: upstream.baseUrl,
            api_key: key,
          },
        });
    expect((await model('model-a', 'sk-first-1111')).status).toBe(200);
    const agent = await openAiAgent(ctx, tenant, upstream.baseUrl, {
      model: 'pinned-model',
      tools: ['calculator'],
    });
    upstream.respondWith((req) =>
      req.body.messages.some((m) => m.role === 'tool')
        ? { chunks: ['done'] }
        : { toolCalls: [{ name: 'calculator', arguments: '{"expression":"2+3"}' }], delayMs: 300 },
    );
    const sse = await chat({ agent_id: agent.id, message: 'add' });
    await sse.waitFor(2);
    const runId = dataOf(sse.events[0]).run_id as string;
    expect((await ctx.http.post(`/api/v1/runs/${runId}/pause`).set('Authorization', operator)).status).toBe(
      200,
    );
    await waitUntil(() => sse.events.some((e) => e.event === 'run_paused'));

    // The component changes its model and rotates its key while the run is paused.
    expect((await model('model-b', 'sk-second-2222')).status).toBe(200);
    const resumed = await ctx.http.post(`/api/v1/runs/${runId}/resume`).set('Authorization', operator);
    expect(resumed.status).toBe(200);
    await sse.body();
    expect(sse.events[sse.events.length - 1].event).toBe('run_completed');
    const [first, second] = upstream.requests.slice(-2);
    expect(first.body.model).toBe('model-a');
    expect(first.headers.authorization).toBe('Bearer sk-first-1111');
    expect(second.body.model).toBe('model-a');
    expect(second.headers.authorization).toBe('Bearer sk-second-2222');
    // A chat started now runs the component as it is.
    const fresh = await ctx.http
      .post('/api/v1/chat')
      .set('Authorization', operator)
      .send({ agent_id: agent.id, message: 'add' });
    expect(fresh.status).toBe(200);
    expect(upstream.requests[upstream.requests.length - 1].body.model).toBe('model-b');
  });

  it('a run paused at its last step and resumed answers as it would have without the pause', async () => {
    const agent = await scriptedAgent(
      ctx,
      tenant,
      [
        { content: 'alpha', tool_calls: [{ name: 'calculator', arguments: { expression: '1+1' } }] },
        {
          content: 'beta',
          tool_calls: [{ name: 'calculator', arguments: { expression: '2+2' } }],
          delay_ms: 300,
        },
      ],
      { tools: ['calculator'], config: { max_steps: 2 } },
    );
    const sse = await chat({ agent_id: agent.id, message: 'go' });
    await waitUntil(() => sse.events.some((e) => e.event === 'step_started' && dataOf(e).step === 2));
    const runId = dataOf(sse.events[0]).run_id as string;
    const paused = await ctx.http.post(`/api/v1/runs/${runId}/pause`).set('Authorization', operator);
    expect(paused.body.status).toBe('paused');
    await ctx.http.post(`/api/v1/runs/${runId}/resume`).set('Authorization', operator).expect(200);
    await sse.body();
    const last = sse.events[sse.events.length - 1];
    expect(last.event).toBe('run_completed');
    expect(dataOf(last)).toEqual(expect.objectContaining({ response: 'beta', finish_reason: 'max_steps' }));
    const run = await waitForStatus(ctx, viewer, runId, ['completed']);
    expect(run.response_content).toBe('beta');
  });

  it('a cancel that reaches a run while it pauses cancels it all the same', async () => {
    const db = ctx.app.get(DataSource);
    // The pause's checkpoint waits for a lock this test holds: the cancel arrives in between.
    await db.query(`CREATE FUNCTION test_hold_pause() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN PERFORM pg_advisory_lock_shared(4242); PERFORM pg_advisory_unlock_shared(4242); RETURN NEW; END $$`);
    await db.query(`CREATE TRIGGER test_hold_pause BEFORE INSERT ON checkpoints
      FOR EACH ROW WHEN (NEW.kind = 'pause') EXECUTE FUNCTION test_hold_pause()`);
    const holder = db.createQueryRunner();
    await holder.connect();
    try {
      await holder.query('SELECT pg_advisory_lock(4242)');
      const agent = await calculatingAgent();
      const sse = await chat({ agent_id: agent.id, message: 'add' });
      await sse.waitFor(2);
      const runId = dataOf(sse.events[0]).run_id as string;
      const pause = ctx.http
        .post(`/api/v1/runs/${runId}/pause`)
        .set('Authorization', operator)
        .then((r) => r);
      const waiting = async () =>
        (
          (await db.query(
            "SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND objid = 4242 AND NOT granted",
          )) as [{ n: number }]
        )[0].n > 0;
      for (let i = 0; i < 400 && !(await waiting()); i++) await new Promise((r) => setTimeout(r, 25));
      expect(await waiting()).toBe(true);
      const cancel = ctx.http
        .post(`/api/v1/runs/${runId}/cancel`)
        .set('Authorization', operator)
        .then((r) => r);
      const intent = async () =>
        ((await db.query('SELECT intent FROM runs WHERE id = $1', [runId])) as [{ intent: string | null }])[0]
          .intent;
      for (let i = 0; i < 400 && (await intent()) !== 'cancel'; i++)
        await new Promise((r) => setTimeout(r, 25));
      expect(await intent()).toBe('cancel');
      await holder.query('SELECT pg_advisory_unlock(4242)');

      const cancelled = await cancel;
      expect(cancelled.body).toEqual({ run_id: runId, status: 'cancelled', message: 'Run cancelled' });
      expect((await pause).status).toBe(200);
      await sse.body();
      expect(sse.events[sse.events.length - 1].event).toBe('run_cancelled');
      const run = await ctx.http.get(`/api/v1/runs/${runId}`).set('Authorization', viewer);
      expect(run.body.status).toBe('cancelled');
    } finally {
      await holder.query('SELECT pg_advisory_unlock_all()');
      await holder.release();
      await db.query('DROP TRIGGER test_hold_pause ON checkpoints');
      await db.query('DROP FUNCTION test_hold_pause()');
    }
  });

  it('a pause does not displace a cancel on its way to the run (409)', async () => {
    const agent = await scriptedAgent(ctx, tenant, [{ content: 'late', delay_ms: 3_000 }]);
    const sse = await chat({ agent_id: agent.id, message: 'wait' });
    await sse.waitFor(1);
    const runId = dataOf(sse.events[0]).run_id as string;
    // A cancel stored, its signal not yet acted on (as when the executing instance is unreachable,
    // whose heartbeat, or the sweep, reads it back).
    const db = ctx.app.get(DataSource);
    await db.query("UPDATE runs SET intent = 'cancel' WHERE id = $1", [runId]);
    const pause = await ctx.http.post(`/api/v1/runs/${runId}/pause`).set('Authorization', operator);
    const error = expectError(pause, 409, 'INVALID_RUN_STATE');
    expect(error.message).toBe('A run being cancelled cannot be paused');
    expect(error.details).toEqual([expect.objectContaining({ code: 'cancelling', status: 'running' })]);
    expect(await db.query('SELECT intent FROM runs WHERE id = $1', [runId])).toEqual([{ intent: 'cancel' }]);
    const cancelled = await ctx.http.post(`/api/v1/runs/${runId}/cancel`).set('Authorization', operator);
    expect(cancelled.body.status).toBe('cancelled');
  });

  it('a paused run of an agent since deactivated or deleted is not resumed, forked or restored (409)', async () => {
    const agent = await calculatingAgent();
    const admin = `Bearer ${tenant.token('admin')}`;
    const sse = await chat({ agent_id: agent.id, message: 'add' });
    await sse.waitFor(2);
    const runId = dataOf(sse.events[0]).run_id as string;
    const paused = await ctx.http.post(`/api/v1/runs/${runId}/pause`).set('Authorization', operator);
    expect(paused.body.status).toBe('paused');
    const checkpoints = await ctx.http.get(`/api/v1/runs/${runId}/checkpoints`).set('Authorization', viewer);
    const checkpointId = checkpoints.body.checkpoints[0].id as string;
    const attempts = () => [
      ctx.http.post(`/api/v1/runs/${runId}/resume`).set('Authorization', operator),
      ctx.http.post(`/api/v1/checkpoints/${checkpointId}/fork`).set('Authorization', operator).send({}),
      ctx.http.post(`/api/v1/checkpoints/${checkpointId}/restore`).set('Authorization', operator).send({}),
      ctx.http
        .post(`/api/v1/checkpoints/${checkpointId}/restore`)
        .set('Authorization', operator)
        .send({ create_new_run: false }),
    ];
    const runsBefore = (await ctx.http.get('/api/v1/runs?limit=1').set('Authorization', viewer)).body.total;

    await ctx.http.post(`/api/v1/agents/${agent.id}/deactivate`).set('Authorization', admin).expect(200);
    for (const attempt of attempts()) {
      const error = expectError(await attempt, 409, 'AGENT_INACTIVE');
      expect(error.details).toEqual([expect.objectContaining({ field: 'agent_id', code: 'inactive' })]);
    }
    const still = await ctx.http.get(`/api/v1/runs/${runId}`).set('Authorization', viewer);
    expect(still.body.status).toBe('paused');
    expect((await ctx.http.get('/api/v1/runs?limit=1').set('Authorization', viewer)).body.total).toBe(
      runsBefore,
    );

    await ctx.http.post(`/api/v1/agents/${agent.id}/activate`).set('Authorization', admin).expect(200);
    await ctx.http.delete(`/api/v1/agents/${agent.id}`).set('Authorization', admin).expect(204);
    for (const attempt of attempts()) {
      const error = expectError(await attempt, 409, 'AGENT_INACTIVE');
      expect(error.details).toEqual([expect.objectContaining({ field: 'agent_id', code: 'deleted' })]);
    }
    // Its runs stay readable.
    const read = await ctx.http.get(`/api/v1/runs/${runId}`).set('Authorization', viewer);
    expect(read.body.status).toBe('paused');
    sse.close();
  });

  it('lists runs with filters and paging; events are paged', async () => {
    const agent = await scriptedAgent(ctx, tenant, ['one two three']);
    for (const user of ['ann', 'bob', 'ann']) {
      await ctx.http
        .post('/api/v1/chat')
        .set('Authorization', operator)
        .send({ agent_id: agent.id, message: user, user_id: user })
        .expect(200);
    }
    const list = await ctx.http
      .get(`/api/v1/runs?agent_id=${agent.id}&user_id=ann&limit=1`)
      .set('Authorization', viewer);
    expect(list.status).toBe(200);
    expect(list.body.total).toBe(2);
    expect(list.body.items).toHaveLength(1);
    expect(list.body.items[0]).toEqual(
      expect.objectContaining({
        agent_id: agent.id,
        user_id: 'ann',
        status: 'completed',
        input_query: 'ann',
        response_content: 'one two three',
      }),
    );
    const completed = await ctx.http
      .get(`/api/v1/runs?agent_id=${agent.id}&status=completed`)
      .set('Authorization', viewer);
    expect(completed.body.total).toBe(3);
    const runId = list.body.items[0].id as string;
    const page = await ctx.http
      .get(`/api/v1/runs/${runId}/events?offset=2&limit=2`)
      .set('Authorization', viewer);
    expect(page.body.run_id).toBe(runId);
    expect(page.body.events.map((e: { seq: number }) => e.seq)).toEqual([3, 4]);
    expectError(
      await ctx.http.get('/api/v1/runs?status=sleeping').set('Authorization', viewer),
      400,
      'VALIDATION_FAILED',
    );
    // Paging numbers are written in decimal digits: not as an exponent, in hex or padded.
    for (const limit of ['1e1', '0x10', '%205', '5.0']) {
      const res = await ctx.http.get(`/api/v1/runs?limit=${limit}`).set('Authorization', viewer);
      expect(expectError(res, 400, 'VALIDATION_FAILED').details).toEqual([
        expect.objectContaining({ field: 'limit', code: 'isInt' }),
      ]);
    }
    // A run lasts at least as long as its steps (its first model call may start before it does).
    const detail = await ctx.http.get(`/api/v1/runs/${runId}`).set('Authorization', viewer);
    const steps = detail.body.steps as Array<{ metrics: { duration: number } }>;
    expect(detail.body.metrics.duration).toBeGreaterThanOrEqual(
      steps.reduce((sum, step) => sum + step.metrics.duration, 0),
    );
  });

  it('multitask: reject answers 409, enqueue runs after, interrupt cancels the running one', async () => {
    slowOrQuick();
    const agent = await openAiAgent(ctx, tenant, upstream.baseUrl);
    const session = `s-${Date.now()}`;
    const first = await chat({ agent_id: agent.id, message: 'slow', session_id: session });
    await first.waitFor(3);
    const firstId = dataOf(first.events[0]).run_id as string;
    const rejected = await ctx.http
      .post('/api/v1/chat')
      .set('Authorization', operator)
      .send({ agent_id: agent.id, message: 'quick', session_id: session });
    expect((expectError(rejected, 409, 'SESSION_BUSY').details as Array<{ run_id: string }>)[0].run_id).toBe(
      firstId,
    );

    const queued = await ctx.http
      .post('/api/v1/chat')
      .set('Authorization', operator)
      .send({ agent_id: agent.id, message: 'quick', session_id: session, multitask: 'enqueue' });
    expect(queued.status).toBe(200);
    expect(queued.body.response).toBe('quick');
    const firstRun = await ctx.http.get(`/api/v1/runs/${firstId}`).set('Authorization', viewer);
    expect(firstRun.body.status).toBe('completed');
    const queuedRun = await ctx.http.get(`/api/v1/runs/${queued.body.run_id}`).set('Authorization', viewer);
    expect(new Date(queuedRun.body.updated_at).getTime()).toBeGreaterThanOrEqual(
      new Date(firstRun.body.updated_at).getTime(),
    );

    const third = await chat({ agent_id: agent.id, message: 'slow', session_id: session });
    await third.waitFor(3);
    const thirdId = dataOf(third.events[0]).run_id as string;
    const interrupt = await ctx.http
      .post('/api/v1/chat')
      .set('Authorization', operator)
      .send({ agent_id: agent.id, message: 'quick', session_id: session, multitask: 'interrupt' });
    expect(interrupt.status).toBe(200);
    expect(interrupt.body.response).toBe('quick');
    await third.body();
    expect(third.events[third.events.length - 1].event).toBe('run_cancelled');
    expect((await waitForStatus(ctx, operator, thirdId, ['cancelled'])).status).toBe('cancelled');
  });

  it('a streamed chat names its run and session in headers at once, even queued, so it can be cancelled before it starts', async () => {
    slowOrQuick();
    const agent = await openAiAgent(ctx, tenant, upstream.baseUrl);
    // No session named: the one made up for the run is in the header, as in the JSON answer.
    const first = await chat({ agent_id: agent.id, message: 'slow' });
    await first.waitFor(3);
    const firstId = dataOf(first.events[0]).run_id as string;
    expect(first.headers['x-run-id']).toBe(firstId);
    const session = first.headers['x-session-id'] as string;
    const firstRun = await ctx.http.get(`/api/v1/runs/${firstId}`).set('Authorization', viewer);
    expect(firstRun.body.session_id).toBe(session);

    const queued = await chat({
      agent_id: agent.id,
      message: 'quick',
      session_id: session,
      multitask: 'enqueue',
    });
    expect(queued.status).toBe(200);
    expect(queued.headers['x-session-id']).toBe(session);
    const queuedId = queued.headers['x-run-id'] as string;
    expect((await ctx.http.get(`/api/v1/runs/${queuedId}`).set('Authorization', viewer)).body.status).toBe(
      'queued',
    );
    expect(queued.events).toEqual([]);
    const cancelled = await ctx.http.post(`/api/v1/runs/${queuedId}/cancel`).set('Authorization', operator);
    expect(cancelled.body.status).toBe('cancelled');
    await queued.body();
    expect(queued.events.map((e) => e.event)).toEqual(['run_cancelled']);
    await first.body();
    expect(first.events[first.events.length - 1].event).toBe('run_completed');
  });

  it('a join after an ended run’s final event answers 204, so an EventSource stops reconnecting', async () => {
    const agent = await scriptedAgent(ctx, tenant, ['hi there']);
    const done = await ctx.http
      .post('/api/v1/chat')
      .set('Authorization', operator)
      .send({ agent_id: agent.id, message: 'x' });
    const runId = done.body.run_id as string;
    const log = await ctx.http.get(`/api/v1/runs/${runId}/events?limit=100`).set('Authorization', viewer);
    const final = log.body.events[log.body.events.length - 1];
    expect(final.type).toBe('run_completed');

    // What an EventSource sends when it reconnects after the stream closed: the last id it saw.
    for (const position of [String(final.seq), String(final.seq + 5)]) {
      const res = await ctx.http
        .get(`/api/v1/runs/${runId}/stream`)
        .set('Authorization', viewer)
        .set('Last-Event-ID', position);
      expect(res.status).toBe(204);
      expect(res.text).toBe('');
    }
    // One event before the end still streams that event, then ends.
    const tail = await SseClient.open(`${ctx.url}/api/v1/runs/${runId}/stream?after=${final.seq - 1}`, {
      Authorization: viewer,
    });
    expect(tail.status).toBe(200);
    await tail.body();
    expect(tail.events.map((e) => [Number(e.id), e.event])).toEqual([[final.seq, 'run_completed']]);
    // Another tenant's run is still a 404, ended or not.
    const stranger = await createTenant(ctx);
    expectError(
      await ctx.http
        .get(`/api/v1/runs/${runId}/stream`)
        .set('Authorization', `Bearer ${stranger.token('viewer')}`)
        .set('Last-Event-ID', String(final.seq)),
      404,
      'RUN_NOT_FOUND',
    );
  });

  /** A streamed chat of calculatingAgent paused in its first step: its stream, run and last event. */
  async function pausedChat() {
    const agent = await calculatingAgent();
    const sse = await chat({ agent_id: agent.id, message: 'add' });
    await sse.waitFor(2);
    const runId = dataOf(sse.events[0]).run_id as string;
    await ctx.http.post(`/api/v1/runs/${runId}/pause`).set('Authorization', operator);
    await waitUntil(() => sse.events.some((e) => e.event === 'run_paused'));
    return { sse, runId, lastSeen: sse.events[sse.events.length - 1] };
  }

  it('a join of a paused run at its last event stays open for what a resume brings', async () => {
    const { runId, lastSeen } = await pausedChat();
    expect(lastSeen.event).toBe('run_paused');

    const joined = await SseClient.open(`${ctx.url}/api/v1/runs/${runId}/stream`, {
      Authorization: viewer,
      'Last-Event-ID': lastSeen.id!,
    });
    expect(joined.status).toBe(200);
    await ctx.http.post(`/api/v1/runs/${runId}/resume`).set('Authorization', operator);
    await joined.body();
    expect(joined.events[0].event).toBe('run_resumed');
    expect(Number(joined.events[0].id)).toBe(Number(lastSeen.id) + 1);
    expect(joined.events[joined.events.length - 1].event).toBe('run_completed');
    expect(dataOf(joined.events[joined.events.length - 1]).response).toBe('The sum is five.');
  });

  it('a stream idle on a paused run re-reads the log ever less often, and still follows the resume', async () => {
    const { sse, runId, lastSeen } = await pausedChat();
    sse.close(); // the chat's own stream stays open on a paused run: only the join is counted
    const events = ctx.app.get(RunEventsRepository);
    const reads = jest.spyOn(events, 'after');
    try {
      const joined = await SseClient.open(`${ctx.url}/api/v1/runs/${runId}/stream`, {
        Authorization: viewer,
        'Last-Event-ID': lastSeen.id!,
      });
      expect(joined.status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 9_500));
      // The join's own read, then idle reads 1, 2 and 4 s apart: not one a second (ten by now).
      const ofRun = () => reads.mock.calls.filter(([, id]) => id === runId).length;
      expect(ofRun()).toBeGreaterThanOrEqual(2);
      expect(ofRun()).toBeLessThanOrEqual(5);
      await ctx.http.post(`/api/v1/runs/${runId}/resume`).set('Authorization', operator);
      await joined.body();
      expect(joined.events[0].event).toBe('run_resumed');
      expect(joined.events[joined.events.length - 1].event).toBe('run_completed');
    } finally {
      reads.mockRestore();
    }
  }, 30_000);

  it('a run stream refuses a Last-Event-ID that is no seq, in the envelope', async () => {
    const agent = await scriptedAgent(ctx, tenant, ['hi']);
    const done = await ctx.http
      .post('/api/v1/chat')
      .set('Authorization', operator)
      .send({ agent_id: agent.id, message: 'x' });
    const error = expectError(
      await ctx.http
        .get(`/api/v1/runs/${done.body.run_id}/stream`)
        .set('Authorization', viewer)
        .set('Last-Event-ID', 'abc'),
      400,
      'VALIDATION_FAILED',
    );
    // A run's events are numbered by seq, not by change id.
    expect(error.message).toBe('Validation failed: the resume position must be an event id');
    // And the state in its 409 reads right.
    const stopped = await ctx.http
      .post(`/api/v1/runs/${done.body.run_id}/pause`)
      .set('Authorization', operator);
    expect(expectError(stopped, 409, 'INVALID_RUN_STATE').message).toBe('A completed run cannot be paused');
  });
});
