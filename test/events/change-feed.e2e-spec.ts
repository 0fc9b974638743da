import Redis from 'ioredis';
import { DataSource } from 'typeorm';
import { OutboxRelay } from '../../src/shared/events/outbox-relay.service';
import { allPublished, commitChanges, eventually } from '../factories/change.factory';
import { createApiKey, createTenant, TestTenant } from '../factories/tenant.factory';
import { expectError } from '../helpers/envelope';
import { SseClient } from '../helpers/sse-client';
import { startTestApp, TestApp } from '../helpers/test-app';
import { platformToken } from '../helpers/tokens';

interface Received {
  channel: string;
  message: { id: number; type: string; tenant_id: string; version: number; config_hash: string };
}

describe('change feed: relay, internal reads and streams', () => {
  let ctx: TestApp;
  let tenant: TestTenant;
  let other: TestTenant;
  let serviceKey: string;
  let otherServiceKey: string;

  beforeAll(async () => {
    ctx = await startTestApp({ env: { SSE_KEEPALIVE_MS: '200' } });
    tenant = await createTenant(ctx);
    other = await createTenant(ctx);
    serviceKey = (await createApiKey(ctx, tenant, 'service')).key;
    otherServiceKey = (await createApiKey(ctx, other, 'service')).key;
  });
  afterAll(() => ctx.close());

  const internal = (path: string, key = serviceKey) => ctx.http.get(path).set('X-API-Key', key);

  it('publishes each committed change to a plain Redis subscriber, on the tenant channel and the global one', async () => {
    const subscriber = new Redis(process.env.AGENTRY_TEST_REDIS_URL as string);
    const received: Received[] = [];
    const prefix = ctx.settings.redisPrefix;
    subscriber.on('message', (channel: string, raw: string) =>
      received.push({ channel, message: JSON.parse(raw) }),
    );
    await subscriber.subscribe(`${prefix}changes:${tenant.id}`, `${prefix}changes`);
    try {
      const ids = await commitChanges(ctx, tenant.id, 3);
      await eventually(() => received.length >= 6, 'six messages');
      const onTenant = received
        .filter((r) => r.channel === `${prefix}changes:${tenant.id}`)
        .map((r) => r.message);
      const onAll = received.filter((r) => r.channel === `${prefix}changes`).map((r) => r.message);
      expect(onTenant.map((m) => m.id)).toEqual(ids);
      expect(onAll.map((m) => m.id)).toEqual(ids);
      expect(onTenant[0]).toEqual(
        expect.objectContaining({
          id: ids[0],
          type: 'agent.updated',
          tenant_id: tenant.id,
          version: 1,
          config_hash: 'sha256:0',
        }),
      );
      const { count } = (
        await ctx.app
          .get(DataSource)
          .query(
            'SELECT count(*)::int AS count FROM change_events WHERE id = ANY($1) AND published_at IS NOT NULL',
            [ids],
          )
      )[0] as { count: number };
      expect(count).toBe(3);
    } finally {
      subscriber.disconnect();
    }
  });

  it('lists changes after a position, in order, for the key’s tenant only', async () => {
    const before = (await internal('/internal/v1/config/version')).body.version as number;
    const ids = await commitChanges(ctx, tenant.id, 5);
    await commitChanges(ctx, other.id, 2);
    const page1 = await internal(`/internal/v1/changes?after=${before}&limit=3`);
    expect(page1.status).toBe(200);
    expect(page1.body.items.map((i: { id: number }) => i.id)).toEqual(ids.slice(0, 3));
    expect(page1.body.next_after).toBe(ids[2]);
    expect(page1.body.items.every((i: { tenant_id: string }) => i.tenant_id === tenant.id)).toBe(true);
    const page2 = await internal(`/internal/v1/changes?after=${page1.body.next_after}&limit=3`);
    expect(page2.body.items.map((i: { id: number }) => i.id)).toEqual(ids.slice(3));
    const empty = await internal(`/internal/v1/changes?after=${ids[4]}`);
    expect(empty.body).toEqual({ items: [], next_after: ids[4] });

    const version = await internal('/internal/v1/config/version');
    expect(version.body).toEqual({ version: ids[4], updated_at: expect.any(String) });
    const otherVersion = await internal('/internal/v1/config/version', otherServiceKey);
    expect(otherVersion.body.version).toBeGreaterThan(ids[4]);
  });

  it('rejects bad positions and the wrong principals', async () => {
    expectError(await internal('/internal/v1/changes?after=-1'), 400, 'VALIDATION_FAILED');
    expectError(await internal('/internal/v1/changes?limit=5000'), 400, 'VALIDATION_FAILED');
    expectError(await ctx.http.get('/internal/v1/changes'), 401, 'UNAUTHENTICATED');
    expectError(
      await ctx.http.get('/internal/v1/changes').set('Authorization', `Bearer ${tenant.token('owner')}`),
      403,
      'FORBIDDEN',
    );
    expectError(
      await ctx.http
        .get('/internal/v1/changes/stream')
        .set('Last-Event-ID', 'abc')
        .set('X-API-Key', serviceKey),
      400,
      'VALIDATION_FAILED',
    );
  });

  it('lets a platform service key read the tenant it names in X-Tenant-Id, and nothing without one', async () => {
    const created = await ctx.http
      .post('/api/v1/platform/service-keys')
      .set('Authorization', `Bearer ${platformToken()}`)
      .send({ name: 'executor' });
    expect(created.status).toBe(201);
    const platformKey = created.body.key as string;
    const ids = await commitChanges(ctx, other.id, 1);
    const res = await internal(`/internal/v1/changes?after=${ids[0] - 1}`, platformKey).set(
      'X-Tenant-Id',
      other.slug,
    );
    expect(res.status).toBe(200);
    expect(res.body.items.map((i: { id: number }) => i.id)).toEqual(ids);
    expectError(await internal('/internal/v1/changes', platformKey), 403, 'TENANT_REQUIRED');
    expectError(
      await internal('/internal/v1/changes', platformKey).set('X-Tenant-Id', 'nope'),
      404,
      'UNKNOWN_TENANT',
    );
    // The platform flag of a key never reaches tenant management.
    expectError(await ctx.http.get('/api/v1/tenants').set('X-API-Key', platformKey), 403, 'FORBIDDEN');
    // A tenant's own service key ignores X-Tenant-Id: it reads its tenant only.
    const own = await internal('/internal/v1/changes?after=0&limit=1000', serviceKey).set(
      'X-Tenant-Id',
      other.id,
    );
    expect(own.body.items.every((i: { tenant_id: string }) => i.tenant_id === tenant.id)).toBe(true);
  });

  it('streams: replays after Last-Event-ID, then live; a reconnect gets exactly the missed events', async () => {
    const start = (await internal('/internal/v1/config/version')).body.version as number;
    const first = await commitChanges(ctx, tenant.id, 3);
    const stream = await SseClient.open(`${ctx.url}/internal/v1/changes/stream?after=${start}`, {
      'X-API-Key': serviceKey,
    });
    expect(stream.status).toBe(200);
    expect(stream.headers['content-type']).toMatch(/^text\/event-stream/);
    const live = await commitChanges(ctx, tenant.id, 2);
    await commitChanges(ctx, other.id, 2);
    const got = await stream.waitFor(5);
    expect(got.map((e) => Number(e.id))).toEqual([...first, ...live]);
    expect(got[0].event).toBe('agent.updated');
    expect(JSON.parse(got[0].data)).toEqual(expect.objectContaining({ id: first[0], tenant_id: tenant.id }));
    stream.close();

    const missed = await commitChanges(ctx, tenant.id, 4);
    const resumed = await SseClient.open(`${ctx.url}/internal/v1/changes/stream`, {
      'X-API-Key': serviceKey,
      'Last-Event-ID': String(live[1]),
    });
    const more = await commitChanges(ctx, tenant.id, 1);
    const after = await resumed.waitFor(5);
    expect(after.map((e) => Number(e.id))).toEqual([...missed, ...more]);
    await eventually(() => resumed.comments.includes('keep-alive'), 'a keep-alive comment', 5_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(resumed.events).toHaveLength(5);
    resumed.close();
  });

  it('replays a long history to a consumer that stops reading at its pace, without ending its stream', async () => {
    const slow = await createTenant(ctx);
    const slowKey = (await createApiKey(ctx, slow, 'service')).key;
    // 4,000 changes of 2 KB: 8 MB, more than the socket buffers of both ends hold.
    await ctx.app.get(DataSource).query(
      `INSERT INTO change_events (tenant_id, type, resource_type, resource_id, version, config_hash, payload, published_at)
       SELECT $1, 'agent.updated', 'agent', gen_random_uuid()::text, n, 'sha256:' || n,
              jsonb_build_object('note', repeat('x', 2000)), now()
       FROM generate_series(1, 4000) AS n`,
      [slow.id],
    );
    const stream = await SseClient.open(`${ctx.url}/internal/v1/changes/stream`, { 'X-API-Key': slowKey });
    stream.pause();
    // Time for a replay that ignored its client to have written everything (and been ended for it).
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    stream.resume();
    const got = await stream.waitFor(4_000, 30_000);
    const ids = got.map((e) => Number(e.id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(4_000);
    expect(stream.comments.filter((comment) => comment.startsWith('closed'))).toEqual([]);
    stream.close();
  });

  it('streams the tenant’s changes to admin users at /api/v1/events/stream', async () => {
    const start = (await internal('/internal/v1/config/version')).body.version as number;
    const stream = await SseClient.open(`${ctx.url}/api/v1/events/stream?after=${start}`, {
      Authorization: `Bearer ${tenant.token('viewer')}`,
    });
    expect(stream.status).toBe(200);
    await commitChanges(ctx, other.id, 1);
    const ids = await commitChanges(ctx, tenant.id, 2);
    expect((await stream.waitFor(2)).map((e) => Number(e.id))).toEqual(ids);
    stream.close();
    const unauthenticated = await SseClient.open(`${ctx.url}/api/v1/events/stream`);
    expect(unauthenticated.status).toBe(401);
    expect(JSON.parse(await unauthenticated.body()).error.code).toBe('UNAUTHENTICATED');
  });

  it('answers 410 when the resume point was pruned', async () => {
    const ids = await commitChanges(ctx, tenant.id, 3);
    await allPublished(ctx.app.get(DataSource));
    await ctx.app
      .get(DataSource)
      .query("UPDATE change_events SET created_at = now() - interval '400 hours' WHERE id <= $1", [ids[1]]);
    expect(await ctx.app.get(OutboxRelay).prune()).toBeGreaterThan(0);
    const gone = expectError(await internal(`/internal/v1/changes?after=${ids[0]}`), 410, 'CHANGES_PRUNED');
    expect(gone.message).toMatch(/pruned through/);
    const stream = await SseClient.open(`${ctx.url}/internal/v1/changes/stream?after=0`, {
      'X-API-Key': serviceKey,
    });
    expect(stream.status).toBe(410);
    const ok = await internal(`/internal/v1/changes?after=${ids[1]}`);
    expect(ok.body.items.map((i: { id: number }) => i.id)).toEqual([ids[2]]);
  });

  it("gives a version to resume from that is never refused, when other tenants' changes were pruned past its latest", async () => {
    const quiet = await createTenant(ctx);
    const busy = await createTenant(ctx);
    const quietKey = (await createApiKey(ctx, quiet, 'service')).key;
    const [kept] = await commitChanges(ctx, quiet.id, 1);
    const pruned = await commitChanges(ctx, busy.id, 2);
    const db = ctx.app.get(DataSource);
    await allPublished(db);
    // The quiet tenant's snapshot is read and kept in the cache, at its latest change.
    const snapshots = async () =>
      (
        await ctx.http
          .get('/api/v1/config/cache/stats')
          .set('Authorization', `Bearer ${quiet.token('viewer')}`)
      ).body.configs.filter((c: { key: string }) => c.key === '*all').length as number;
    await eventually(async () => {
      const read = await internal('/internal/v1/config/all', quietKey);
      return read.body.version === kept && (await snapshots()) === 1;
    }, 'a cached snapshot');
    // Only the busy tenant's changes age past retention: the global pruned mark passes the quiet
    // tenant's latest change, which is still kept.
    await db.query(
      "UPDATE change_events SET created_at = now() - interval '400 hours' WHERE tenant_id = $1",
      [busy.id],
    );
    expect(await ctx.app.get(OutboxRelay).prune()).toBeGreaterThanOrEqual(2);

    const version = await internal('/internal/v1/config/version', quietKey);
    expect(version.body.version).toBeGreaterThanOrEqual(pruned[1]);
    // The cached snapshot went with the prune: the one answered now resumes where the feed can.
    let snapshot = await internal('/internal/v1/config/all', quietKey);
    await eventually(async () => {
      snapshot = await internal('/internal/v1/config/all', quietKey);
      return snapshot.body.version === version.body.version;
    }, 'a snapshot at the pruned mark');
    const resumed = await internal(`/internal/v1/changes?after=${snapshot.body.version}`, quietKey);
    expect(resumed.status).toBe(200);
    expect(resumed.body.items).toEqual([]);
    // What the tenant changes next comes after that version.
    const [next] = await commitChanges(ctx, quiet.id, 1);
    expect(next).toBeGreaterThan(snapshot.body.version);
    const after = await internal(`/internal/v1/changes?after=${snapshot.body.version}`, quietKey);
    expect(after.body.items.map((i: { id: number }) => i.id)).toEqual([next]);
    expect(kept).toBeLessThan(pruned[0]);
  });
});
