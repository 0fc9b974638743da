import { createApiKey, createTenant } from '../factories/tenant.factory';
import { scriptedAgent } from '../runs/run-helpers';
import { expectError } from '../helpers/envelope';
import { startTestApp, TestApp } from '../helpers/test-app';

const FAMILIES = [
  'agentry_http_request_duration_seconds',
  'agentry_sse_streams_active',
  'agentry_config_cache_requests_total',
  'agentry_change_events_published_total',
  'agentry_outbox_oldest_unpublished_age_seconds',
  'agentry_runs_in_progress',
  'agentry_review_cache_requests_total',
  'nodejs_eventloop_lag_seconds',
  'process_resident_memory_bytes',
];

describe('Prometheus metrics', () => {
  let ctx: TestApp;
  const token = 'scrape-token-0123456789';

  beforeAll(async () => {
    ctx = await startTestApp({ env: { METRICS_TOKEN: token } });
  });
  afterAll(() => ctx.close());

  const scrape = () => ctx.http.get('/metrics').set('Authorization', `Bearer ${token}`);

  it('exposes the named families in the text format, with route templates rather than ids as labels', async () => {
    const tenant = await createTenant(ctx);
    const key = await createApiKey(ctx, tenant, 'service');
    const agent = await ctx.http
      .post('/api/v1/agents')
      .set('Authorization', `Bearer ${tenant.token('admin')}`)
      .send({ name: 'measured', system_prompt: 'hi' });
    expect(agent.status).toBe(201);
    for (let i = 0; i < 3; i++)
      await ctx.http.get('/internal/v1/agents/measured/config').set('X-API-Key', key.key);
    await ctx.http
      .get(`/api/v1/agents/${agent.body.id}`)
      .set('Authorization', `Bearer ${tenant.token('viewer')}`);
    await ctx.http.get('/api/v1/no-such-route');

    const res = await scrape();
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    for (const family of FAMILIES) expect(res.text).toContain(`# TYPE ${family} `);
    expect(res.text).toMatch(
      /agentry_http_request_duration_seconds_count\{route="\/api\/v1\/agents\/:id",method="GET",status="200"\} \d+/,
    );
    expect(res.text).toMatch(/route="\/internal\/v1\/agents\/:idOrName\/config",method="GET",status="200"/);
    // Unknown paths share one label value, not the raw path.
    expect(res.text).toMatch(/route="unmatched",method="GET",status="404"/);
    expect(res.text).not.toContain('no-such-route');
    expect(res.text).toMatch(/agentry_config_cache_requests_total\{result="hit"\} [1-9]/);
    expect(res.text).toMatch(/agentry_runs_in_progress\{status="running"\} \d+/);
    // Saving the agent reviewed its config once.
    expect(res.text).toMatch(/agentry_review_cache_requests_total\{result="miss"\} [1-9]/);
    expect(res.text).not.toContain(agent.body.id);
    expect(res.text).not.toContain(tenant.id);
  });

  it('counts finished runs by status, and their tokens', async () => {
    const tenant = await createTenant(ctx);
    const agent = await scriptedAgent(ctx, tenant, ['Counted.']);
    const counted = (text: string, pattern: RegExp) => Number(pattern.exec(text)?.[1] ?? 0);
    const completed = /agentry_runs_total\{status="completed"\} (\d+)/;
    const before = counted((await scrape()).text, completed);
    const chat = await ctx.http
      .post('/api/v1/chat')
      .set('Authorization', `Bearer ${tenant.token('operator')}`)
      .send({ agent_id: agent.id, message: 'Hi', session_id: 'metrics' });
    expect(chat.status).toBe(200);
    const after = (await scrape()).text;
    expect(counted(after, completed)).toBe(before + 1);
    expect(after).toMatch(/agentry_tokens_total\{kind="completion"\} [1-9]/);
  });

  it('wants the scrape token when one is configured', async () => {
    expectError(await ctx.http.get('/metrics'), 401, 'METRICS_TOKEN_INVALID');
    expectError(
      await ctx.http.get('/metrics').set('Authorization', 'Bearer wrong-token-0123456789'),
      401,
      'METRICS_TOKEN_INVALID',
    );
  });
});

describe('Prometheus metrics turned off', () => {
  it('answers 404', async () => {
    const ctx = await startTestApp({ env: { METRICS_ENABLED: 'false' } });
    try {
      expectError(await ctx.http.get('/metrics'), 404, 'METRICS_DISABLED');
    } finally {
      await ctx.close();
    }
  });
});
