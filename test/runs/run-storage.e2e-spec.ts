import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { createTenant, TestTenant } from '../factories/tenant.factory';
import { OpenAiCompatibleServer } from '../helpers/openai-compatible-server';
import { postSse } from '../helpers/sse-post';
import { startTestApp, TestApp } from '../helpers/test-app';
import { dataOf, openAiAgent, textOf, waitForStatus } from './run-helpers';

const TOKENS = Array.from({ length: 10 }, (_, i) => `t${i} `);

/** How a run's admission and end meet the database: what they read, lock and store together. */
describe('run storage', () => {
  let ctx: TestApp;
  let upstream: OpenAiCompatibleServer;
  let tenant: TestTenant;
  let operator: string;

  beforeAll(async () => {
    upstream = await new OpenAiCompatibleServer(() => ({ chunks: TOKENS })).start();
    ctx = await startTestApp();
    tenant = await createTenant(ctx, { tier: 'pro' });
    operator = `Bearer ${tenant.token('operator')}`;
  });
  afterAll(async () => {
    await ctx.close();
    await upstream.close();
  });

  const chat = (body: Record<string, unknown>) =>
    postSse(`${ctx.url}/api/v1/chat`, { Authorization: operator }, { stream: true, ...body });

  it('stores the final step, its checkpoint and the run end together, streamed once stored', async () => {
    const agent = await openAiAgent(ctx, tenant, upstream.baseUrl);
    const sse = await chat({ agent_id: agent.id, message: 'go' });
    await sse.body();
    const types = sse.events.map((e) => e.event);
    expect(types.slice(-3)).toEqual(['step_completed', 'checkpoint_created', 'run_completed']);
    expect(textOf(sse.events)).toBe(TOKENS.join(''));
    const runId = dataOf(sse.events[0]).run_id as string;
    const checkpointId = dataOf(sse.events[sse.events.length - 2]).checkpoint_id as string;

    // Whoever saw the events finds what they name, at once.
    const checkpoint = await ctx.http
      .get(`/api/v1/checkpoints/${checkpointId}`)
      .set('Authorization', operator);
    expect(checkpoint.status).toBe(200);
    expect(checkpoint.body).toEqual(
      expect.objectContaining({ id: checkpointId, run_id: runId, step_num: 1, description: 'after step 1' }),
    );
    const run = await ctx.http.get(`/api/v1/runs/${runId}`).set('Authorization', operator);
    expect(run.body.status).toBe('completed');
    expect(run.body.steps.map((s: { step_num: number }) => s.step_num)).toEqual([1]);
    expect(run.body.steps[0].model_response.content).toBe(TOKENS.join(''));
    const stored = await ctx.http
      .get(`/api/v1/runs/${runId}/events?limit=100`)
      .set('Authorization', operator);
    expect(stored.body.events.map((e: { seq: number; type: string }) => [e.seq, e.type])).toEqual(
      sse.events.map((e) => [Number(e.id), e.event]),
    );
  });

  it('counts the tenant’s active runs at admission through the index of active runs only', async () => {
    const db = ctx.app.get(DataSource);
    const scans = async () => {
      const [row] = (await db.query(
        `SELECT idx_scan FROM pg_stat_user_indexes WHERE indexrelname = 'IDX_runs_active'`,
      )) as [{ idx_scan: string }];
      return Number(row.idx_scan);
    };
    const before = await scans();
    const agent = await openAiAgent(ctx, tenant, upstream.baseUrl);
    for (let i = 0; i < 3; i++) {
      const res = await ctx.http
        .post('/api/v1/chat')
        .set('Authorization', operator)
        .send({ agent_id: agent.id, message: 'go' });
      expect(res.status).toBe(200);
    }
    // Statistics reach the shared view when a backend reports them (at most a second or so later).
    const deadline = Date.now() + 15_000;
    while ((await scans()) < before + 3 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(await scans()).toBeGreaterThanOrEqual(before + 3);
  });

  it('starts a run queued by an admission that held the session while the running run ended', async () => {
    upstream.respondWith((req) =>
      req.body.messages[req.body.messages.length - 1].content === 'first'
        ? { chunks: TOKENS, chunkDelayMs: 30 }
        : { chunks: ['second answer'] },
    );
    try {
      const agent = await openAiAgent(ctx, tenant, upstream.baseUrl);
      const session = `s-${randomUUID()}`;
      const first = await chat({ agent_id: agent.id, message: 'first', session_id: session });
      await first.waitFor(3);
      const firstId = dataOf(first.events[0]).run_id as string;

      // An admission with `enqueue`, its transaction kept open: it holds the tenant's and the
      // session's locks, and its queued run is not visible to anyone yet.
      const admission = new Client({ connectionString: ctx.database.url });
      await admission.connect();
      let queuedId: string;
      try {
        const { rows: runs } = await admission.query<{ config: unknown }>(
          'SELECT config FROM runs WHERE id = $1',
          [firstId],
        );
        await admission.query('BEGIN');
        const { rows } = await admission.query<{ a: { outcome: string; id: string; status: string } }>(
          `SELECT agentry_admit_run($1, $2, 'enqueue', 100, $3, $4, NULL, $5::jsonb, NULL, 'second',
                                    '{}'::jsonb, 'continue', 'elsewhere') AS a`,
          [tenant.id, session, agent.id, agent.version, JSON.stringify(runs[0].config)],
        );
        expect(rows[0].a).toEqual(expect.objectContaining({ outcome: 'admitted', status: 'queued' }));
        queuedId = rows[0].a.id;
        // The first run ends meanwhile and waits for the session's lock to store its end.
        const deadline = Date.now() + 20_000;
        for (;;) {
          const waiting = await admission.query(
            `SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`,
          );
          if (waiting.rows.length > 0) break;
          if (Date.now() > deadline) throw new Error('the run end never waited for the session');
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        await admission.query('COMMIT');
      } finally {
        await admission.end();
      }

      await first.body();
      expect(first.events[first.events.length - 1].event).toBe('run_completed');
      // Its end saw the queued run once the admission committed, and started it here.
      const queued = await waitForStatus(ctx, operator, queuedId, ['completed', 'failed']);
      expect(queued.status).toBe('completed');
      expect(queued.response_content).toBe('second answer');
      const firstRun = await ctx.http.get(`/api/v1/runs/${firstId}`).set('Authorization', operator);
      expect(firstRun.body.status).toBe('completed');
    } finally {
      upstream.respondWith(() => ({ chunks: TOKENS }));
    }
  });
});
