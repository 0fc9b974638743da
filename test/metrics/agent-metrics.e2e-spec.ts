import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { createTenant, TestTenant } from '../factories/tenant.factory';
import { expectError } from '../helpers/envelope';
import { startTestApp, TestApp } from '../helpers/test-app';
import { platformToken } from '../helpers/tokens';

interface SeedRun {
  version?: number;
  status: 'completed' | 'failed' | 'cancelled' | 'running' | 'paused';
  at: string;
  duration: number;
  tokens: number;
  /** Insert as running, then finish with an UPDATE (the path a real run takes). */
  viaUpdate?: boolean;
}

describe('agent and system metrics', () => {
  let ctx: TestApp;
  let tenant: TestTenant;
  let other: TestTenant;
  let agentId: string;

  async function createAgent(t: TestTenant, name: string): Promise<string> {
    const res = await ctx.http
      .post('/api/v1/agents')
      .set('Authorization', `Bearer ${t.token('admin')}`)
      .send({ name, system_prompt: 'x' });
    expect(res.status).toBe(201);
    return res.body.id as string;
  }

  async function seed(t: TestTenant, agent: string, runs: SeedRun[]): Promise<void> {
    const db = ctx.app.get(DataSource);
    for (const run of runs) {
      const id = randomUUID();
      const metrics = { duration: run.duration, total_tokens: run.tokens };
      await db.query(
        `INSERT INTO runs (id, tenant_id, agent_id, agent_version, session_id, status, input_query, metrics, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, 'q', $7, $8)`,
        [
          id,
          t.id,
          agent,
          run.version ?? 1,
          randomUUID(),
          run.viaUpdate ? 'running' : run.status,
          metrics,
          run.at,
        ],
      );
      if (run.viaUpdate) await db.query('UPDATE runs SET status = $2 WHERE id = $1', [id, run.status]);
    }
  }

  beforeAll(async () => {
    ctx = await startTestApp();
    tenant = await createTenant(ctx);
    other = await createTenant(ctx);
    agentId = await createAgent(tenant, 'measured');
    await seed(tenant, agentId, [
      { status: 'completed', at: '2026-03-02T10:05:00Z', duration: 0.8, tokens: 100 },
      { status: 'completed', at: '2026-03-02T10:40:00Z', duration: 1.5, tokens: 300, viaUpdate: true },
      { status: 'failed', at: '2026-03-02T12:10:00Z', duration: 4, tokens: 50, version: 2 },
      {
        status: 'cancelled',
        at: '2026-03-03T09:00:00Z',
        duration: 0.2,
        tokens: 0,
        version: 2,
        viaUpdate: true,
      },
      { status: 'running', at: '2026-03-02T11:00:00Z', duration: 0, tokens: 0 },
      { status: 'completed', at: '2026-02-20T00:00:00Z', duration: 9, tokens: 999 },
    ]);
  });
  afterAll(() => ctx.close());

  const get = (path: string, token = tenant.token('viewer')) =>
    ctx.http.get(path).set('Authorization', `Bearer ${token}`);

  it('sums the period and fills every hour, empty ones as zeros, split by version', async () => {
    const res = await get(
      `/api/v1/metrics/agents/${agentId}?start_time=2026-03-02T10:00:00Z&end_time=2026-03-02T14:00:00Z&granularity=hour`,
    );
    expect(res.status).toBe(200);
    expect(res.body.metrics).toEqual({
      total_runs: 3,
      completed: 2,
      failed: 1,
      cancelled: 0,
      success_rate: 0.6667,
      avg_duration: 2.1,
      p95_duration: 5,
      total_tokens: 450,
      avg_tokens_per_run: 150,
    });
    expect(res.body.in_progress).toBe(1);
    expect(
      res.body.timeseries.map((p: { timestamp: string; runs: number; tokens: number }) => [
        p.timestamp,
        p.runs,
        p.tokens,
      ]),
    ).toEqual([
      ['2026-03-02T10:00:00.000Z', 2, 400],
      ['2026-03-02T11:00:00.000Z', 0, 0],
      ['2026-03-02T12:00:00.000Z', 1, 50],
      ['2026-03-02T13:00:00.000Z', 0, 0],
    ]);
    expect(res.body.timeseries[2].by_version).toEqual([{ version: 2, runs: 1, failed: 1 }]);
    expect(
      res.body.by_version.map((v: { version: number; total_runs: number; success_rate: number }) => [
        v.version,
        v.total_runs,
        v.success_rate,
      ]),
    ).toEqual([
      [1, 2, 1],
      [2, 1, 0],
    ]);
  });

  it('buckets by day and week (weeks start on Monday, UTC)', async () => {
    const days = await get(
      `/api/v1/metrics/agents/${agentId}?start_time=2026-03-01T00:00:00Z&end_time=2026-03-04T00:00:00Z&granularity=day`,
    );
    expect(days.body.timeseries.map((p: { runs: number }) => p.runs)).toEqual([0, 3, 1]);
    const weeks = await get(
      `/api/v1/metrics/agents/${agentId}?start_time=2026-02-16T00:00:00Z&end_time=2026-03-09T00:00:00Z&granularity=week`,
    );
    expect(
      weeks.body.timeseries.map((p: { timestamp: string; runs: number }) => [p.timestamp, p.runs]),
    ).toEqual([
      ['2026-02-16T00:00:00.000Z', 1],
      ['2026-02-23T00:00:00.000Z', 0],
      ['2026-03-02T00:00:00.000Z', 4],
    ]);
    expect(weeks.body.metrics.total_runs).toBe(5);
  });

  it('rejects bad ranges and granularities, and strangers', async () => {
    expectError(await get(`/api/v1/metrics/agents/${agentId}?granularity=minute`), 400, 'VALIDATION_FAILED');
    expectError(
      await get(`/api/v1/metrics/agents/${agentId}?start_time=yesterday`),
      400,
      'VALIDATION_FAILED',
    );
    expectError(
      await get(
        `/api/v1/metrics/agents/${agentId}?start_time=2026-03-02T00:00:00Z&end_time=2026-03-01T00:00:00Z`,
      ),
      400,
      'INVALID_RANGE',
    );
    expectError(
      await get(
        `/api/v1/metrics/agents/${agentId}?start_time=2020-01-01T00:00:00Z&end_time=2026-01-01T00:00:00Z&granularity=hour`,
      ),
      400,
      'INVALID_RANGE',
    );
    expectError(await get('/api/v1/metrics/agents/not-a-uuid'), 400, 'VALIDATION_FAILED');
    expectError(await ctx.http.get(`/api/v1/metrics/agents/${agentId}`), 401, 'UNAUTHENTICATED');
    expectError(
      await get(`/api/v1/metrics/agents/${agentId}`, other.token('viewer')),
      404,
      'AGENT_NOT_FOUND',
    );
    expectError(await get(`/api/v1/metrics/agents/${randomUUID()}`), 404, 'AGENT_NOT_FOUND');
  });

  it('answers 403 to a principal without metrics:read', async () => {
    const key = await ctx.http
      .post('/api/v1/api-keys')
      .set('Authorization', `Bearer ${tenant.token('owner')}`)
      .send({ name: 's', role: 'service' });
    expectError(
      await ctx.http.get(`/api/v1/metrics/agents/${agentId}`).set('X-API-Key', key.body.key),
      403,
      'FORBIDDEN',
    );
    expectError(
      await ctx.http.get('/api/v1/metrics/system').set('X-API-Key', key.body.key),
      403,
      'FORBIDDEN',
    );
  });

  it('gives a tenant its own system figures, and platform operators every tenant with a breakdown', async () => {
    const otherAgent = await createAgent(other, 'elsewhere');
    await seed(other, otherAgent, [
      { status: 'failed', at: new Date().toISOString(), duration: 1, tokens: 7 },
    ]);
    const mine = await get('/api/v1/metrics/system');
    expect(mine.status).toBe(200);
    expect(mine.body).toEqual(
      expect.objectContaining({
        scope: 'tenant',
        total_agents: 1,
        total_runs: 5,
        active_runs: 1,
        total_tokens_today: 0,
        error_rate: 0,
      }),
    );
    expect(mine.body.tenants).toBeUndefined();
    const theirs = await get('/api/v1/metrics/system', other.token('viewer'));
    expect(theirs.body).toEqual(
      expect.objectContaining({ total_runs: 1, total_tokens_today: 7, error_rate: 1, avg_response_time: 1 }),
    );

    const platform = await ctx.http
      .get('/api/v1/metrics/system')
      .set('Authorization', `Bearer ${platformToken()}`);
    expect(platform.status).toBe(200);
    expect(platform.body.scope).toBe('platform');
    expect(platform.body.total_runs).toBeGreaterThanOrEqual(6);
    const slugs = platform.body.tenants.map((t: { slug: string }) => t.slug);
    expect(slugs).toEqual(expect.arrayContaining([tenant.slug, other.slug]));
    expectError(
      await ctx.http
        .get(`/api/v1/metrics/agents/${agentId}`)
        .set('Authorization', `Bearer ${platformToken()}`),
      403,
      'TENANT_REQUIRED',
    );
  });

  it('lets runs of one agent and hour finish at once on different connections, and counts them all', async () => {
    const t = await createTenant(ctx);
    const agent = await createAgent(t, 'busy');
    // A finishing run adds itself to its connection's row of the hour (pg_backend_pid() % 16):
    // two connections whose rows differ.
    const opened: Client[] = [];
    const byShard = new Map<number, Client>();
    try {
      while (byShard.size < 2) {
        const client = new Client({ connectionString: ctx.database.url });
        await client.connect();
        opened.push(client);
        const { rows } = await client.query<{ shard: number }>('SELECT pg_backend_pid() % 16 AS shard');
        if (!byShard.has(rows[0].shard)) byShard.set(rows[0].shard, client);
      }
      const [first, second] = [...byShard.values()];
      const finish = async (client: Client) => {
        const id = randomUUID();
        await client.query(
          `INSERT INTO runs (id, tenant_id, agent_id, agent_version, session_id, status, input_query, metrics)
           VALUES ($1, $2, $3, 1, $4, 'running', 'q', '{"duration": 1, "total_tokens": 10}')`,
          [id, t.id, agent, randomUUID()],
        );
        await client.query(`UPDATE runs SET status = 'completed' WHERE id = $1`, [id]);
      };
      await first.query('BEGIN');
      await finish(first);
      // The first transaction holds its row of the hour until it commits; the second must not wait
      // for it (on one row per hour it would, and fail here after the lock timeout).
      await second.query('BEGIN');
      await second.query(`SET LOCAL lock_timeout = '2s'`);
      await finish(second);
      await second.query('COMMIT');
      await first.query('COMMIT');
    } finally {
      await Promise.all(opened.map((c) => c.end()));
    }
    const res = await get(`/api/v1/metrics/agents/${agent}?granularity=hour`, t.token('viewer'));
    expect(res.status).toBe(200);
    expect(res.body.metrics).toEqual(
      expect.objectContaining({ total_runs: 2, completed: 2, total_tokens: 20 }),
    );
    const rows = (await ctx.app
      .get(DataSource)
      .query('SELECT shard FROM run_stats_hourly WHERE agent_id = $1', [agent])) as unknown[];
    expect(rows).toHaveLength(2);
  });
});
