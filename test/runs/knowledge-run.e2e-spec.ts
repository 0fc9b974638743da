import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTenant, TestTenant } from '../factories/tenant.factory';
import { startTestApp, TestApp } from '../helpers/test-app';
import { postSse } from '../helpers/sse-post';
import { dataOf, scriptedAgent, waitForStatus, waitUntil } from './run-helpers';

describe('runs with an http_retrieval knowledge component, and HTTP tools on this host', () => {
  let ctx: TestApp;
  let kb: http.Server;
  let kbUrl: string;
  let tenant: TestTenant;
  let operator: string;
  const asked: Array<{ body: unknown; auth: string | undefined }> = [];

  beforeAll(async () => {
    kb = http.createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c.toString()));
      req.on('end', () => {
        asked.push({ body: JSON.parse(raw), auth: req.headers.authorization });
        if (req.url === '/fail') return void res.writeHead(500).end();
        // A tool that takes its time: answered only once its caller has given up.
        if (req.url === '/slow') return void req.socket.once('close', () => res.destroy());
        res.end(JSON.stringify({ documents: [{ title: 'Parcels', content: 'Parcels ship on Mondays' }] }));
      });
    });
    await new Promise<void>((resolve) => kb.listen(0, '127.0.0.1', resolve));
    kbUrl = `http://127.0.0.1:${(kb.address() as AddressInfo).port}`;
    ctx = await startTestApp({ env: { HTTP_TOOL_ALLOW_HOSTS: '127.0.0.1' } });
    tenant = await createTenant(ctx, { tier: 'pro' });
    operator = `Bearer ${tenant.token('operator')}`;
  });
  afterAll(async () => {
    await ctx.close();
    kb.closeAllConnections();
    await new Promise((resolve) => kb.close(resolve));
  });

  const knowledge = async (name: string, path: string) => {
    const res = await ctx.http
      .put(`/api/v1/config/${name}`)
      .set('Authorization', `Bearer ${tenant.token('editor')}`)
      .send({
        config: {
          type: 'knowledge',
          http_retrieval: {
            url: `${kbUrl}${path}`,
            top_k: 2,
            headers: { Authorization: { secret: 'Bearer kb-1234' } },
          },
        },
      });
    expect(res.status).toBe(200);
  };

  it('adds what the current query retrieves to the system message, with the secret header', async () => {
    await knowledge('kb', '/search');
    const agent = await scriptedAgent(ctx, tenant, ['Mondays.'], {
      knowledge: 'kb',
      system_prompt: 'Be brief.',
    });
    const json = await ctx.http
      .post('/api/v1/chat')
      .set('Authorization', operator)
      .send({ agent_id: agent.id, message: 'When do parcels ship?' });
    expect(json.status).toBe(200);
    expect(json.body.response).toBe('Mondays.');
    expect(asked).toEqual([{ body: { query: 'When do parcels ship?', top_k: 2 }, auth: 'Bearer kb-1234' }]);
    const run = await ctx.http.get(`/api/v1/runs/${json.body.run_id}`).set('Authorization', operator);
    expect(run.body.steps[0].messages[0]).toEqual({
      role: 'system',
      content: 'Be brief.\n\nKnowledge:\n# Parcels\nParcels ship on Mondays',
    });
  });

  it('fails the run with the reason when retrieval fails', async () => {
    await knowledge('kb-down', '/fail');
    const agent = await scriptedAgent(ctx, tenant, ['never'], { knowledge: 'kb-down' });
    const json = await ctx.http
      .post('/api/v1/chat')
      .set('Authorization', operator)
      .send({ agent_id: agent.id, message: 'hello' });
    expect(json.status).toBe(502);
    expect(json.body.error).toMatchObject({
      code: 'RUN_FAILED',
      details: [
        {
          code: 'failed',
          message: 'knowledge retrieval failed: the endpoint answered 500',
          run_id: expect.any(String),
        },
      ],
    });
    const run = await ctx.http
      .get(`/api/v1/runs/${json.body.error.details[0].run_id}`)
      .set('Authorization', operator);
    expect(run.body).toMatchObject({
      status: 'failed',
      error: 'knowledge retrieval failed: the endpoint answered 500',
    });
  });

  it('a run cancelled while its tool runs counts the model call that asked for it', async () => {
    const put = await ctx.http
      .put('/api/v1/config/slow_tool')
      .set('Authorization', `Bearer ${tenant.token('editor')}`)
      .send({
        config: {
          type: 'tool',
          description: 'Takes its time',
          parameters: { type: 'object', properties: {} },
          http: { url: `${kbUrl}/slow`, method: 'POST', timeout_ms: 30_000 },
        },
      });
    expect(put.status).toBeLessThan(300);
    const agent = await scriptedAgent(
      ctx,
      tenant,
      [{ content: 'Asking the slow tool.', tool_calls: [{ name: 'slow_tool', arguments: {} }] }, 'Done.'],
      { tools: ['slow_tool'] },
    );
    const sse = await postSse(
      `${ctx.url}/api/v1/chat`,
      { Authorization: operator },
      { agent_id: agent.id, message: 'go slowly', stream: true },
    );
    await waitUntil(() => sse.events.some((e) => e.event === 'tool_call_started'));
    const runId = dataOf(sse.events[0]).run_id as string;
    const cancelled = await ctx.http.post(`/api/v1/runs/${runId}/cancel`).set('Authorization', operator);
    expect(cancelled.body.status).toBe('cancelled');
    const run = await waitForStatus(ctx, operator, runId, ['cancelled']);
    const metrics = run.metrics as { steps: number; prompt_tokens: number; completion_tokens: number };
    expect(metrics.steps).toBe(1);
    expect(metrics.prompt_tokens).toBeGreaterThan(0);
    expect(metrics.completion_tokens).toBeGreaterThan(0);
    await sse.body();
    const final = dataOf(sse.events[sse.events.length - 1]);
    expect(final.metrics).toEqual(expect.objectContaining({ steps: 1 }));
  });
});
