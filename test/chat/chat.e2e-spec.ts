import { createTenant, TestTenant } from '../factories/tenant.factory';
import { expectError } from '../helpers/envelope';
import { OpenAiCompatibleServer, tokensOf } from '../helpers/openai-compatible-server';
import { postSse } from '../helpers/sse-post';
import { platformToken } from '../helpers/tokens';
import { startTestApp, TestApp } from '../helpers/test-app';
import { dataOf, openAiAgent, scriptedAgent, textOf, waitForStatus } from '../runs/run-helpers';

const ANSWER = 'To reset your password, open Settings, choose Security and follow the link we email you.';

describe('chat', () => {
  let ctx: TestApp;
  let upstream: OpenAiCompatibleServer;
  let tenant: TestTenant;
  let operator: string;

  beforeAll(async () => {
    upstream = await new OpenAiCompatibleServer(() => ({ chunks: tokensOf(ANSWER) })).start();
    ctx = await startTestApp();
    tenant = await createTenant(ctx, { tier: 'pro' });
    operator = `Bearer ${tenant.token('operator')}`;
  });
  afterAll(async () => {
    await ctx.close();
    await upstream.close();
  });

  it('streams the upstream text exactly, with seq ids, and a JSON chat answers the same', async () => {
    upstream.respondWith(() => ({
      chunks: tokensOf(ANSWER),
      usage: { prompt_tokens: 12, completion_tokens: 20 },
    }));
    const agent = await openAiAgent(ctx, tenant, upstream.baseUrl, { system_prompt: 'Be brief.' });
    const sse = await postSse(
      `${ctx.url}/api/v1/chat`,
      { Authorization: operator },
      {
        agent_id: agent.id,
        message: 'How do I reset my password?',
        user_id: 'u1',
        stream: true,
      },
    );
    expect(sse.status).toBe(200);
    expect(sse.headers['content-type']).toMatch(/^text\/event-stream/);
    await sse.body();
    const events = sse.events;
    expect(events.map((e) => Number(e.id))).toEqual(events.map((_, i) => i + 1));
    expect(events[0].event).toBe('run_started');
    const runId = dataOf(events[0]).run_id as string;
    expect(dataOf(events[0])).toEqual({
      run_id: runId,
      agent_id: agent.id,
      agent_version: 1,
      timestamp: expect.any(String),
    });
    expect(events[1].event).toBe('step_started');
    expect(dataOf(events[1])).toEqual({ run_id: runId, step: 1, type: 'llm_call' });
    expect(textOf(events)).toBe(ANSWER);
    const last = events[events.length - 1];
    expect(last.event).toBe('run_completed');
    expect(dataOf(last)).toEqual({
      run_id: runId,
      response: ANSWER,
      metrics: expect.objectContaining({
        total_tokens: 32,
        prompt_tokens: 12,
        completion_tokens: 20,
        steps: 1,
      }),
    });
    // The upstream got the system prompt and the message.
    expect(upstream.requests[upstream.requests.length - 1].body.messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'How do I reset my password?' },
    ]);

    // The stored log is exactly what was streamed.
    const log = await ctx.http.get(`/api/v1/runs/${runId}/events?limit=100`).set('Authorization', operator);
    expect(log.status).toBe(200);
    expect(log.body.total).toBe(events.length);
    expect(
      log.body.events.map((e: { seq: number; type: string; data: unknown }) => [e.seq, e.type, e.data]),
    ).toEqual(events.map((e) => [Number(e.id), e.event, dataOf(e)]));

    const json = await ctx.http
      .post('/api/v1/chat')
      .set('Authorization', operator)
      .send({ agent_id: agent.id, message: 'How do I reset my password?' });
    expect(json.status).toBe(200);
    expect(json.body).toEqual({
      run_id: expect.any(String),
      session_id: expect.any(String),
      response: ANSWER,
      metrics: expect.objectContaining({ total_tokens: 32, steps: 1, duration: expect.any(Number) }),
    });

    const run = await ctx.http.get(`/api/v1/runs/${json.body.run_id}`).set('Authorization', operator);
    expect(run.body).toEqual(
      expect.objectContaining({
        id: json.body.run_id,
        agent_id: agent.id,
        agent_version: 1,
        status: 'completed',
        input_query: 'How do I reset my password?',
        response_content: ANSWER,
        parent_run_id: null,
        forked_from_checkpoint_id: null,
      }),
    );
    expect(run.body.steps).toEqual([
      expect.objectContaining({
        step_num: 1,
        type: 'llm_call',
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'How do I reset my password?' },
        ],
        model_response: expect.objectContaining({ content: ANSWER }),
        tool_calls: [],
        metrics: expect.objectContaining({ total_tokens: 32 }),
      }),
    ]);
  });

  it('runs a tool round trip: calculator result fed back, schema-invalid arguments reported to the model', async () => {
    upstream.respondWith((req) => {
      const toolMessages = req.body.messages.filter((m) => m.role === 'tool');
      if (toolMessages.length === 0) {
        return {
          chunks: ['Let me compute. '],
          toolCalls: [
            { id: 'c1', name: 'calculator', arguments: '{"expression":"6*7"}' },
            { id: 'c2', name: 'calculator', arguments: '{"expression":42}' },
          ],
        };
      }
      return { chunks: tokensOf(`The answer is ${toolMessages[0].content}.`) };
    });
    const agent = await openAiAgent(ctx, tenant, upstream.baseUrl, { tools: ['calculator'] });
    const sse = await postSse(
      `${ctx.url}/api/v1/chat`,
      { Authorization: operator },
      {
        agent_id: agent.id,
        message: 'What is 6 times 7?',
        stream: true,
      },
    );
    await sse.body();
    const types = sse.events.map((e) => e.event);
    expect(types.filter((t) => t === 'tool_call_started')).toHaveLength(2);
    const completed = sse.events.filter((e) => e.event === 'tool_call_completed').map(dataOf);
    expect(completed[0]).toEqual(
      expect.objectContaining({ tool: 'calculator', call_id: 'c1', result: '42' }),
    );
    expect(completed[1]).toEqual(
      expect.objectContaining({
        tool: 'calculator',
        call_id: 'c2',
        error: true,
        result: expect.stringMatching(/invalid arguments.*expression.*string/),
      }),
    );
    const started = sse.events.filter((e) => e.event === 'tool_call_started').map(dataOf);
    expect(started[0]).toEqual(
      expect.objectContaining({ tool: 'calculator', call_id: 'c1', args: { expression: '6*7' } }),
    );
    expect(dataOf(sse.events[sse.events.length - 1])).toEqual(
      expect.objectContaining({ response: 'The answer is 42.' }),
    );
    // The second model call saw both tool results and the tool's schema.
    const second = upstream.requests[upstream.requests.length - 1].body;
    expect(second.tools?.map((t) => t.function.name)).toEqual(['calculator']);
    expect(second.messages.filter((m) => m.role === 'tool').map((m) => [m.tool_call_id, m.content])).toEqual([
      ['c1', '42'],
      ['c2', expect.stringMatching(/^error: invalid arguments/)],
    ]);
    const runId = dataOf(sse.events[0]).run_id as string;
    const run = await ctx.http.get(`/api/v1/runs/${runId}`).set('Authorization', operator);
    expect(run.body.steps).toHaveLength(2);
    expect(run.body.steps[0].tool_calls).toEqual([
      expect.objectContaining({ call_id: 'c1', tool: 'calculator', result: '42', ok: true }),
      expect.objectContaining({ call_id: 'c2', ok: false }),
    ]);
    expect(run.body.metrics.steps).toBe(2);
  });

  it('a scripted model answers without a model server, and sees the session history', async () => {
    const agent = await scriptedAgent(ctx, tenant, ['Hello! How can I help you?']);
    const first = await ctx.http
      .post('/api/v1/chat')
      .set('Authorization', operator)
      .send({ agent_id: agent.name, message: 'Hi', session_id: 's-history' });
    expect(first.status).toBe(200);
    expect(first.body.response).toBe('Hello! How can I help you?');
    const second = await ctx.http
      .post('/api/v1/chat')
      .set('Authorization', operator)
      .send({ agent_id: agent.id, message: 'Again', session_id: 's-history' });
    const run = await ctx.http.get(`/api/v1/runs/${second.body.run_id}`).set('Authorization', operator);
    expect(run.body.steps[0].messages).toEqual([
      { role: 'system', content: 'You are a helpful assistant' },
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: 'Hello! How can I help you?' },
      { role: 'user', content: 'Again' },
    ]);
  });

  it('a session is the tenant’s: another agent given it continues the conversation', async () => {
    const support = await scriptedAgent(ctx, tenant, ['Let me hand you to billing.']);
    const billing = await scriptedAgent(ctx, tenant, ['Your invoice is on its way.'], {
      system_prompt: 'You handle billing.',
    });
    const first = await ctx.http
      .post('/api/v1/chat')
      .set('Authorization', operator)
      .send({ agent_id: support.id, message: 'Where is my invoice?', session_id: 's-hand-over' });
    expect(first.status).toBe(200);
    const second = await ctx.http
      .post('/api/v1/chat')
      .set('Authorization', operator)
      .send({ agent_id: billing.id, message: 'Thanks', session_id: 's-hand-over' });
    expect(second.status).toBe(200);
    expect(second.body.response).toBe('Your invoice is on its way.');
    const run = await ctx.http.get(`/api/v1/runs/${second.body.run_id}`).set('Authorization', operator);
    expect(run.body).toEqual(expect.objectContaining({ agent_id: billing.id, session_id: 's-hand-over' }));
    // Its own system prompt, then the earlier turn, which the other agent answered.
    expect(run.body.steps[0].messages).toEqual([
      { role: 'system', content: 'You handle billing.' },
      { role: 'user', content: 'Where is my invoice?' },
      { role: 'assistant', content: 'Let me hand you to billing.' },
      { role: 'user', content: 'Thanks' },
    ]);
  });

  it('a JSON chat whose run is paused answers 409 RUN_STOPPED naming the run, which can be resumed to its answer', async () => {
    upstream.respondWith((req) =>
      req.body.messages.some((m) => m.role === 'tool')
        ? { chunks: ['forty-two'] }
        : { toolCalls: [{ id: 'c', name: 'calculator', arguments: '{"expression":"40+2"}' }], delayMs: 300 },
    );
    const agent = await openAiAgent(ctx, tenant, upstream.baseUrl, { tools: ['calculator'] });
    const session = `s-paused-${Date.now()}`;
    const answer = ctx.http
      .post('/api/v1/chat')
      .set('Authorization', operator)
      .send({ agent_id: agent.id, message: 'what is 40+2?', session_id: session })
      .then((res) => res);
    let runId: string | undefined;
    for (let i = 0; i < 200 && !runId; i++) {
      const runs = await ctx.http.get(`/api/v1/runs?session_id=${session}`).set('Authorization', operator);
      runId = runs.body.items[0]?.id;
      if (!runId) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const paused = await ctx.http.post(`/api/v1/runs/${runId}/pause`).set('Authorization', operator);
    expect(paused.body.status).toBe('paused');
    const error = expectError(await answer, 409, 'RUN_STOPPED');
    expect(error.message).toContain(`/api/v1/runs/${runId}/resume`);
    expect(error.details).toEqual([expect.objectContaining({ code: 'paused', run_id: runId })]);
    await ctx.http.post(`/api/v1/runs/${runId}/resume`).set('Authorization', operator).expect(200);
    const run = await waitForStatus(ctx, operator, runId as string, ['completed']);
    expect(run.response_content).toBe('forty-two');
  });

  it('runs an agent whose model and tools are named components (expanded by the resolved config)', async () => {
    const editor = `Bearer ${tenant.token('editor')}`;
    upstream.respondWith((req) =>
      req.body.messages.some((m) => m.role === 'tool')
        ? { chunks: ['done'] }
        : { toolCalls: [{ id: 'k1', name: 'clock', arguments: '{}' }] },
    );
    const model = await ctx.http
      .put('/api/v1/config/upstream-model')
      .set('Authorization', editor)
      .send({
        config: {
          type: 'model',
          provider: 'openai',
          model: 'm1',
          base_url: upstream.baseUrl,
          api_key: 'sk-test-123',
        },
      });
    expect(model.status).toBeLessThan(300);
    const tool = await ctx.http
      .put('/api/v1/config/clock')
      .set('Authorization', editor)
      .send({
        config: {
          type: 'tool',
          description: 'The time',
          parameters: { type: 'object' },
          builtin: 'current_time',
        },
      });
    expect(tool.status).toBeLessThan(300);
    const agent = await scriptedAgent(ctx, tenant, [], { model: 'upstream-model', tools: ['clock'] });
    const res = await ctx.http
      .post('/api/v1/chat')
      .set('Authorization', operator)
      .send({ agent_id: agent.id, message: 'time?' });
    expect(res.status).toBe(200);
    expect(res.body.response).toBe('done');
    const requests = upstream.requests.slice(-2);
    expect(requests[0].body.model).toBe('m1');
    expect(requests[0].headers.authorization).toBe('Bearer sk-test-123');
    expect(requests[0].body.tools?.map((t) => t.function.name)).toEqual(['clock']);
    expect(requests[1].body.messages.find((m) => m.role === 'tool')?.content).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    // The secret never lands in the run or its checkpoints.
    const run = await ctx.http.get(`/api/v1/runs/${res.body.run_id}`).set('Authorization', operator);
    expect(JSON.stringify(run.body)).not.toContain('sk-test-123');
    const checkpoints = await ctx.http
      .get(`/api/v1/runs/${res.body.run_id}/checkpoints`)
      .set('Authorization', operator);
    const checkpoint = await ctx.http
      .get(`/api/v1/checkpoints/${checkpoints.body.checkpoints[0].id}`)
      .set('Authorization', operator);
    expect(JSON.stringify(checkpoint.body)).not.toContain('sk-test-123');
  });

  it('an HTTP tool pointing at a private address is refused, and the model hears why', async () => {
    const editor = `Bearer ${tenant.token('editor')}`;
    upstream.respondWith((req) =>
      req.body.messages.some((m) => m.role === 'tool')
        ? { chunks: ['cannot reach it'] }
        : { toolCalls: [{ id: 'h1', name: 'inventory', arguments: '{"sku":"A1"}' }] },
    );
    const put = await ctx.http
      .put('/api/v1/config/inventory')
      .set('Authorization', editor)
      .send({
        config: {
          type: 'tool',
          description: 'Stock level of a SKU',
          parameters: { type: 'object', properties: { sku: { type: 'string' } }, required: ['sku'] },
          http: { url: `${upstream.baseUrl}/inventory`, method: 'POST', timeout_ms: 1_000 },
        },
      });
    expect(put.status).toBeLessThan(300);
    const agent = await openAiAgent(ctx, tenant, upstream.baseUrl, { tools: ['inventory'] });
    const before = upstream.requests.length;
    const sse = await postSse(
      `${ctx.url}/api/v1/chat`,
      { Authorization: operator },
      { agent_id: agent.id, message: 'stock?', stream: true },
    );
    await sse.body();
    const completed = sse.events.filter((e) => e.event === 'tool_call_completed').map(dataOf);
    expect(completed).toEqual([
      expect.objectContaining({
        tool: 'inventory',
        call_id: 'h1',
        error: true,
        result: expect.stringMatching(/127\.0\.0\.1 resolves to a private address/),
      }),
    ]);
    // Only the two model calls reached the server: the tool call never left the app.
    expect(upstream.requests.slice(before).every((r) => r.body.model === 'test-model')).toBe(true);
    expect(upstream.requests.length - before).toBe(2);
    expect(dataOf(sse.events[sse.events.length - 1]).response).toBe('cannot reach it');
  });

  it('an upstream error or timeout ends the stream with run_failed and a reason', async () => {
    upstream.respondWith(() => ({ status: 500 }));
    const agent = await openAiAgent(ctx, tenant, upstream.baseUrl);
    const sse = await postSse(
      `${ctx.url}/api/v1/chat`,
      { Authorization: operator },
      { agent_id: agent.id, message: 'x', stream: true },
    );
    await sse.body();
    const last = sse.events[sse.events.length - 1];
    expect(last.event).toBe('run_failed');
    expect(dataOf(last).error).toMatch(/model server answered 500/);

    upstream.respondWith(() => ({ delayMs: 3_000, chunks: ['late'] }));
    const slow = await openAiAgent(ctx, tenant, upstream.baseUrl.replace('/v1', '/v1'), {
      model: { provider: 'openai', model: 'm', base_url: upstream.baseUrl, timeout_ms: 300 },
    });
    const json = await ctx.http
      .post('/api/v1/chat')
      .set('Authorization', operator)
      .send({ agent_id: slow.id, message: 'x' });
    const error = expectError(json, 502, 'RUN_FAILED');
    expect(error.message).toMatch(/timed out/);
    const runId = (error.details as Array<{ run_id: string }>)[0].run_id;
    expect((await waitForStatus(ctx, operator, runId, ['failed'])).error).toMatch(
      /timed out after 300 ms without data/,
    );
  });

  it('refuses an inactive agent (409), bad input (400), weaker roles (403), no credentials (401) and other tenants (404)', async () => {
    const agent = await scriptedAgent(ctx, tenant, ['ok']);
    await ctx.http
      .post(`/api/v1/agents/${agent.id}/deactivate`)
      .set('Authorization', `Bearer ${tenant.token('editor')}`)
      .expect(200);
    expectError(
      await ctx.http
        .post('/api/v1/chat')
        .set('Authorization', operator)
        .send({ agent_id: agent.id, message: 'x' }),
      409,
      'AGENT_INACTIVE',
    );
    expectError(
      await ctx.http.post('/api/v1/chat').set('Authorization', operator).send({ agent_id: agent.id }),
      400,
      'VALIDATION_FAILED',
    );
    expectError(
      await ctx.http
        .post('/api/v1/chat')
        .set('Authorization', operator)
        .send({ agent_id: agent.id, message: 'x', multitask: 'later' }),
      400,
      'VALIDATION_FAILED',
    );
    const blank = expectError(
      await ctx.http
        .post('/api/v1/chat')
        .set('Authorization', operator)
        .send({ agent_id: agent.id, message: '  \n ' }),
      400,
      'VALIDATION_FAILED',
    );
    expect(blank.details).toEqual([expect.objectContaining({ field: 'message', code: 'isNotBlank' })]);
    // A version past what a version can be (an integer-valued float included) is refused, not
    // looked up; and a version is a JSON integer: true, "0x2" and " 2 " once ran versions 1 and 2.
    const badVersions: Array<[unknown, string]> = [
      [2_147_483_648, 'max'],
      [1.5e300, 'max'],
      ...[true, '0x2', ' 2 ', '2'].map((version): [unknown, string] => [version, 'isInt']),
    ];
    for (const [version, code] of badVersions) {
      const error = expectError(
        await ctx.http
          .post('/api/v1/chat')
          .set('Authorization', operator)
          .send({ agent_id: agent.id, message: 'x', version }),
        400,
        'VALIDATION_FAILED',
      );
      expect(error.details).toEqual([expect.objectContaining({ field: 'version', code })]);
    }
    expectError(
      await ctx.http
        .post('/api/v1/chat')
        .set('Authorization', `Bearer ${tenant.token('viewer')}`)
        .send({ agent_id: agent.id, message: 'x' }),
      403,
      'FORBIDDEN',
    );
    expectError(
      await ctx.http.post('/api/v1/chat').send({ agent_id: agent.id, message: 'x' }),
      401,
      'UNAUTHENTICATED',
    );
    const other = await createTenant(ctx);
    const active = await scriptedAgent(ctx, tenant, ['ok']);
    expectError(
      await ctx.http
        .post('/api/v1/chat')
        .set('Authorization', `Bearer ${other.token('operator')}`)
        .send({ agent_id: active.id, message: 'x' }),
      404,
      'AGENT_NOT_FOUND',
    );
    // A model given by component name that nothing expanded (its component is disabled) cannot run.
    const byName = await scriptedAgent(ctx, tenant, [], { model: 'gpt4' });
    const editor = `Bearer ${tenant.token('editor')}`;
    const gpt4 = await ctx.http.get('/api/v1/config/gpt4').set('Authorization', editor);
    const toggle = (enabled: boolean) =>
      ctx.http
        .put('/api/v1/config/gpt4')
        .set('Authorization', editor)
        .send({ config: gpt4.body.config, enabled });
    expect((await toggle(false)).status).toBe(200);
    expectError(
      await ctx.http
        .post('/api/v1/chat')
        .set('Authorization', operator)
        .send({ agent_id: byName.id, message: 'x' }),
      422,
      'MODEL_NOT_RUNNABLE',
    );
    expect((await toggle(true)).status).toBe(200);
  });

  it('refuses to run a model provider the tenant’s limits no longer allow (422), from a chat or a checkpoint, and starts no run', async () => {
    const small = await createTenant(ctx, { tier: 'free' });
    const auth = `Bearer ${small.token('operator')}`;
    const agent = await scriptedAgent(ctx, small, ['hello']);
    const earlier = await ctx.http
      .post('/api/v1/chat')
      .set('Authorization', auth)
      .send({ agent_id: agent.id, message: 'x' });
    expect(earlier.body.response).toBe('hello');
    const checkpoints = await ctx.http
      .get(`/api/v1/runs/${earlier.body.run_id}/checkpoints`)
      .set('Authorization', auth);
    const checkpointId = checkpoints.body.checkpoints[0].id as string;
    // Saved while scripted was allowed; then the operator allows only openai.
    const patched = await ctx.http
      .patch(`/api/v1/tenants/${small.id}`)
      .set('Authorization', `Bearer ${platformToken()}`)
      .send({ limits: { allowed_model_providers: ['openai'] } });
    expect(patched.status).toBe(200);
    const error = expectError(
      await ctx.http
        .post('/api/v1/chat')
        .set('Authorization', auth)
        .send({ agent_id: agent.id, message: 'x' }),
      422,
      'MODEL_NOT_RUNNABLE',
    );
    expect(error.details).toEqual([
      expect.objectContaining({
        field: 'model.provider',
        code: 'MODEL_PROVIDER_NOT_ALLOWED',
        value: ['openai'],
        actual: 'scripted',
      }),
    ]);
    // Nor does a run continue from a checkpoint made before (fork, restore as a new run or in place).
    for (const [action, body] of [
      ['fork', {}],
      ['restore', {}],
      ['restore', { create_new_run: false }],
    ] as const) {
      expectError(
        await ctx.http
          .post(`/api/v1/checkpoints/${checkpointId}/${action}`)
          .set('Authorization', auth)
          .send(body),
        422,
        'MODEL_NOT_RUNNABLE',
      );
    }
    const runs = await ctx.http.get('/api/v1/runs').set('Authorization', auth);
    expect(runs.body.total).toBe(1);
    expect(runs.body.items[0].status).toBe('completed');
  });

  it('answers 429 over the tier concurrent runs', async () => {
    const small = await createTenant(ctx, { tier: 'free', limits: { max_concurrent_runs: 1 } });
    const auth = `Bearer ${small.token('operator')}`;
    upstream.respondWith(() => ({ chunks: ['a', 'b'], hangAfter: 1 }));
    const agent = await openAiAgent(ctx, small, upstream.baseUrl);
    const first = await postSse(
      `${ctx.url}/api/v1/chat`,
      { Authorization: auth },
      { agent_id: agent.id, message: 'x', stream: true },
    );
    await first.waitFor(3);
    const res = await ctx.http
      .post('/api/v1/chat')
      .set('Authorization', auth)
      .send({ agent_id: agent.id, message: 'y' });
    expectError(res, 429, 'CONCURRENT_RUNS_EXCEEDED');
    const runId = dataOf(first.events[0]).run_id as string;
    const cancelled = await ctx.http.post(`/api/v1/runs/${runId}/cancel`).set('Authorization', auth);
    expect(cancelled.body).toEqual({ run_id: runId, status: 'cancelled', message: 'Run cancelled' });
    first.close();
  });

  it('a burst of chats admits exactly the tier concurrent runs, each session on its own', async () => {
    const small = await createTenant(ctx, { tier: 'pro', limits: { max_concurrent_runs: 3 } });
    const auth = `Bearer ${small.token('operator')}`;
    upstream.respondWith(() => ({ chunks: ['a', 'b'], hangAfter: 1 }));
    const agent = await openAiAgent(ctx, small, upstream.baseUrl);
    // Streamed: an admitted chat answers 200 with its headers at once (fetch resolves then).
    const answers = await Promise.all(
      Array.from({ length: 12 }, async (_, i) => {
        const res = await fetch(`${ctx.url}/api/v1/chat`, {
          method: 'POST',
          headers: { Authorization: auth, 'content-type': 'application/json' },
          body: JSON.stringify({
            agent_id: agent.id,
            message: `m${i}`,
            session_id: `burst-${i}`,
            stream: true,
          }),
        });
        await res.body?.cancel();
        return res.status === 200 ? 'admitted' : res.status;
      }),
    );
    expect(answers.filter((a) => a === 'admitted')).toHaveLength(3);
    expect(answers.filter((a) => a === 429)).toHaveLength(9);
    const running = await ctx.http.get('/api/v1/runs?status=running').set('Authorization', auth);
    expect(running.body.items).toHaveLength(3);
    for (const run of running.body.items as Array<{ id: string }>) {
      await ctx.http.post(`/api/v1/runs/${run.id}/cancel`).set('Authorization', auth).expect(200);
    }
  });
});
