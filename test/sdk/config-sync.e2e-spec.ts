import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { ConfigSync } from '../../src/sdk';
import { OutboxRelay } from '../../src/shared/events/outbox-relay.service';
import { httpRequestDuration } from '../../src/shared/metrics/metrics';
import type { ConfigChange } from '../../src/sdk';
import { allPublished, eventually } from '../factories/change.factory';
import { createApiKey, createTenant, TestTenant } from '../factories/tenant.factory';
import { startTestApp, TestApp } from '../helpers/test-app';

describe('ConfigSync (client SDK)', () => {
  let ctx: TestApp;
  let tenant: TestTenant;
  let serviceKey: string;
  let dir: string;
  const syncs: ConfigSync[] = [];

  beforeAll(async () => {
    ctx = await startTestApp();
    tenant = await createTenant(ctx);
    serviceKey = (await createApiKey(ctx, tenant, 'service')).key;
    dir = mkdtempSync(join(tmpdir(), 'agentry-sdk-'));
  });
  afterEach(async () => {
    await Promise.all(syncs.splice(0).map((sync) => sync.stop()));
  });
  afterAll(async () => {
    await ctx.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const editor = () => `Bearer ${tenant.token('admin')}`;

  async function createAgent(name: string, prompt: string): Promise<string> {
    const res = await ctx.http
      .post('/api/v1/agents')
      .set('Authorization', editor())
      .send({ name, system_prompt: prompt });
    expect(res.status).toBe(201);
    return res.body.id as string;
  }

  async function setPrompt(id: string, prompt: string): Promise<void> {
    const res = await ctx.http
      .patch(`/api/v1/agents/${id}`)
      .set('Authorization', editor())
      .send({ system_prompt: prompt });
    expect(res.status).toBe(200);
  }

  function sync(options: Partial<ConstructorParameters<typeof ConfigSync>[0]> = {}): ConfigSync {
    const created = new ConfigSync({
      baseUrl: ctx.url,
      apiKey: serviceKey,
      cacheFile: join(dir, 'cache.json'),
      backoff: { initialMs: 50, maxMs: 200 },
      ...options,
    });
    syncs.push(created);
    return created;
  }

  it('pulls everything at start, labels included, and applies changes from the stream', async () => {
    const id = await createAgent('support', 'one');
    await setPrompt(id, 'two');
    const label = await ctx.http
      .put(`/api/v1/agents/${id}/labels/production`)
      .set('Authorization', editor())
      .send({ version: 1 });
    expect(label.status).toBe(200);

    const client = sync();
    await client.start();
    expect(client.startedFrom).toBe('server');
    expect(client.get('support')?.config.system_prompt).toBe('two');
    expect(client.get(id, 'production')?.config.system_prompt).toBe('one');

    const changes: ConfigChange[] = [];
    client.onChange((change) => changes.push(change));
    await setPrompt(id, 'three');
    await eventually(() => client.get('support')?.config.system_prompt === 'three', 'the update to arrive');
    expect(changes.at(-1)).toEqual(
      expect.objectContaining({ agent_id: id, name: 'support', source: 'stream' }),
    );
    const moved = await ctx.http
      .put(`/api/v1/agents/${id}/labels/production`)
      .set('Authorization', editor())
      .send({ version: 3 });
    expect(moved.status).toBe(200);
    await eventually(
      () => client.get('support', 'production')?.config.system_prompt === 'three',
      'the label move',
    );

    const deleted = await ctx.http.delete(`/api/v1/agents/${id}`).set('Authorization', editor());
    expect(deleted.status).toBe(204);
    await eventually(() => client.get('support') === undefined, 'the deletion');
    const version = (await ctx.http.get('/internal/v1/config/version').set('X-API-Key', serviceKey)).body
      .version as number;
    await eventually(() => client.version === version, 'the version to catch up');
  });

  it('starts from the cache file while the server is unreachable, and the file is never torn', async () => {
    const id = await createAgent('cached', 'from cache');
    const online = sync();
    await online.start();
    await online.stop();
    const saved = JSON.parse(readFileSync(join(dir, 'cache.json'), 'utf8')) as {
      version: number;
      agents: Array<{ agent_id: string }>;
    };
    expect(saved.agents.map((agent) => agent.agent_id)).toContain(id);
    expect(readdirSync(dir).filter((file) => file.endsWith('.tmp'))).toEqual([]);

    const errors: Error[] = [];
    const offline = sync({ baseUrl: 'http://127.0.0.1:1', onError: (error) => errors.push(error) });
    await offline.start();
    expect(offline.startedFrom).toBe('cache');
    expect(offline.version).toBe(saved.version);
    expect(offline.get('cached')?.config.system_prompt).toBe('from cache');
    expect(errors.length).toBeGreaterThan(0);

    const noCache = new ConfigSync({
      baseUrl: 'http://127.0.0.1:1',
      apiKey: serviceKey,
      cacheFile: join(dir, 'missing.json'),
    });
    await expect(noCache.start()).rejects.toThrow();
  });

  it('follows changes in poll mode', async () => {
    const id = await createAgent('polled', 'before');
    const client = sync({ mode: 'poll', pollIntervalMs: 50, cacheFile: undefined });
    await client.start();
    expect(client.get('polled')?.config.system_prompt).toBe('before');
    await setPrompt(id, 'after');
    await eventually(() => client.get('polled')?.config.system_prompt === 'after', 'the polled update');
  });
});

/** A server of its own, with a tenant, its service key and an agent `name` whose prompt is 'v1'. */
async function serverWithAgent(name: string) {
  const first = await startTestApp();
  const tenant = await createTenant(first);
  const serviceKey = (await createApiKey(first, tenant, 'service')).key;
  const auth = `Bearer ${tenant.token('admin')}`;
  const created = await first.http
    .post('/api/v1/agents')
    .set('Authorization', auth)
    .send({ name, system_prompt: 'v1' });
  expect(created.status).toBe(201);
  return { first, port: Number(new URL(first.url).port), serviceKey, auth, id: created.body.id as string };
}

describe('ConfigSync across a server restart', () => {
  it('reconnects with Last-Event-ID and misses nothing committed while the server was down', async () => {
    const { first, port, serviceKey, auth, id } = await serverWithAgent('steady');

    const client = new ConfigSync({
      baseUrl: first.url,
      apiKey: serviceKey,
      backoff: { initialMs: 50, maxMs: 200 },
    });
    await client.start();
    expect(client.get('steady')?.config.system_prompt).toBe('v1');

    // Stop the server but keep its database; a change is made meanwhile by another instance.
    await first.app.close();
    const writer = await startTestApp({ database: first.database });
    const patched = await writer.http
      .patch(`/api/v1/agents/${id}`)
      .set('Authorization', auth)
      .send({ system_prompt: 'v2' });
    expect(patched.status).toBe(200);
    await writer.app.close();

    const second = await startTestApp({ database: first.database, port });
    try {
      await eventually(
        () => client.get('steady')?.config.system_prompt === 'v2',
        'the change made while down',
        15_000,
      );
      const again = await second.http
        .patch(`/api/v1/agents/${id}`)
        .set('Authorization', auth)
        .send({ system_prompt: 'v3' });
      expect(again.status).toBe(200);
      await eventually(
        () => client.get('steady')?.config.system_prompt === 'v3',
        'a change after the restart',
        15_000,
      );
    } finally {
      await client.stop();
      await second.close();
    }
  });
});

describe('ConfigSync after the changes it would resume from were pruned', () => {
  /** How many change-stream requests this process answered 410 (every app in it shares the registry). */
  async function streamRefusals(): Promise<number> {
    const { values } = await httpRequestDuration.get();
    return values
      .filter(
        (value) =>
          value.metricName === 'agentry_http_request_duration_seconds_count' &&
          value.labels.route === '/internal/v1/changes/stream' &&
          String(value.labels.status) === '410',
      )
      .reduce((sum, value) => sum + value.value, 0);
  }

  it('starts over from a full pull once, then follows the stream again', async () => {
    const { first, port, serviceKey, auth, id } = await serverWithAgent('pruned');
    const changes: ConfigChange[] = [];
    const client = new ConfigSync({
      baseUrl: first.url,
      apiKey: serviceKey,
      backoff: { initialMs: 50, maxMs: 200 },
    });
    client.onChange((change) => changes.push(change));
    await client.start();
    const before = client.version;

    // While the client is cut off, two changes are made and aged past retention, then pruned: the
    // point it resumes from is gone.
    await first.app.close();
    const writer = await startTestApp({ database: first.database });
    for (const prompt of ['v2', 'v3']) {
      const patched = await writer.http
        .patch(`/api/v1/agents/${id}`)
        .set('Authorization', auth)
        .send({ system_prompt: prompt });
      expect(patched.status).toBe(200);
    }
    const db = writer.app.get(DataSource);
    await allPublished(db);
    await db.query("UPDATE change_events SET created_at = now() - interval '400 hours' WHERE id > $1", [
      before,
    ]);
    expect(await writer.app.get(OutboxRelay).prune()).toBeGreaterThan(0);
    await writer.app.close();

    const refusedBefore = await streamRefusals();
    const second = await startTestApp({ database: first.database, port });
    try {
      await eventually(
        () => client.get('pruned')?.config.system_prompt === 'v3',
        'the full pull after the refusal',
        15_000,
      );
      expect(client.version).toBeGreaterThan(before);
      // Back on the stream: a later change arrives as a stream change, and the resume point the
      // pull gave was refused once only.
      const again = await second.http
        .patch(`/api/v1/agents/${id}`)
        .set('Authorization', auth)
        .send({ system_prompt: 'v4' });
      expect(again.status).toBe(200);
      await eventually(
        () => client.get('pruned')?.config.system_prompt === 'v4',
        'a change after the pull',
        15_000,
      );
      expect(changes.at(-1)).toMatchObject({ source: 'stream', agent_id: id });
      expect((await streamRefusals()) - refusedBefore).toBe(1);
    } finally {
      await client.stop();
      await second.close();
    }
  });
});
