import { DataSource } from 'typeorm';
import { createTenant, TestTenant } from '../factories/tenant.factory';
import { OpenAiCompatibleServer } from '../helpers/openai-compatible-server';
import { startTestApp, TestApp } from '../helpers/test-app';
import { openAiAgent } from './run-helpers';

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
});
