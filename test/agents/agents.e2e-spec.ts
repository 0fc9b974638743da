import { createHash, randomUUID } from 'node:crypto';
import canonicalize from 'canonicalize';
import { agentBody, createAgent } from '../factories/agent.factory';
import { createTenant, seedTools, TestTenant } from '../factories/tenant.factory';
import { expectError } from '../helpers/envelope';
import { startTestApp, TestApp } from '../helpers/test-app';
import { auditOf, changesOf, query, rowCounts } from './change-rows';

const CONFIG_KEYS = [
  'description',
  'system_prompt',
  'model',
  'tools',
  'memory',
  'knowledge',
  'config',
  'metadata',
] as const;

function hashOf(agent: Record<string, unknown>): string {
  const config = Object.fromEntries(CONFIG_KEYS.map((key) => [key, agent[key]]));
  return `sha256:${createHash('sha256')
    .update(canonicalize(config) as string)
    .digest('hex')}`;
}

describe('agents', () => {
  let ctx: TestApp;
  let tenant: TestTenant;
  let editor: string;
  let admin: string;

  beforeAll(async () => {
    ctx = await startTestApp();
    tenant = await createTenant(ctx, { tier: 'pro' });
    editor = `Bearer ${tenant.token('editor')}`;
    admin = `Bearer ${tenant.token('admin')}`;
  });
  afterAll(() => ctx.close());

  const api = () => ctx.http;

  describe('create and read', () => {
    it('creates an agent at version 1 with Location and ETag, in the shape clients expect', async () => {
      const body = agentBody();
      const res = await api().post('/api/v1/agents').set('Authorization', editor).send(body);
      expect(res.status).toBe(201);
      expect(res.headers.location).toBe(`/api/v1/agents/${res.body.id}`);
      expect(res.headers.etag).toBe('"1"');
      expect(res.body).toEqual({
        id: expect.any(String),
        name: body.name,
        description: 'Customer support agent',
        tags: ['support'],
        status: 'active',
        version: 1,
        system_prompt: 'You are a helpful assistant',
        model: 'gpt4',
        tools: ['search', 'ticket'],
        memory: 'session_memory',
        knowledge: 'product_docs',
        config: { max_steps: 10, temperature: 0.7 },
        metadata: {},
        config_hash: hashOf(res.body),
        labels: {},
        template_id: null,
        template_version: null,
        created_at: expect.any(String),
        updated_at: expect.any(String),
      });

      const got = await api().get(`/api/v1/agents/${res.body.id}`).set('Authorization', editor);
      expect(got.status).toBe(200);
      expect(got.headers.etag).toBe('"1"');
      expect(got.body).toEqual(res.body);
    });

    it('accepts an inline model and fills what is left out', async () => {
      const res = await api()
        .post('/api/v1/agents')
        .set('Authorization', editor)
        .send({
          name: 'minimal_agent',
          model: { provider: 'openai', model: 'gpt-4o-mini', base_url: 'http://x' },
        });
      expect(res.status).toBe(201);
      expect(res.body).toEqual(
        expect.objectContaining({
          model: { provider: 'openai', model: 'gpt-4o-mini', base_url: 'http://x' },
          description: null,
          system_prompt: null,
          tools: [],
          memory: null,
          knowledge: null,
          config: {},
          metadata: {},
          tags: [],
        }),
      );
    });

    it('refuses unknown fields, bad names, out-of-range parameters and an oversized metadata', async () => {
      const bad = async (body: Record<string, unknown>, field: string) => {
        const error = expectError(
          await api().post('/api/v1/agents').set('Authorization', editor).send(body),
          400,
          'VALIDATION_FAILED',
        );
        expect((error.details as Array<{ field: string }>).map((d) => d.field)).toContain(field);
      };
      await bad(agentBody({ colour: 'red' }), 'colour');
      await bad(agentBody({ name: 'has space' }), 'name');
      // Routes take an agent's id or name; a name shaped like an id could never be read by name.
      await bad(agentBody({ name: randomUUID() }), 'name');
      await bad(agentBody({ name: randomUUID().toUpperCase() }), 'name');
      await bad(agentBody({ name: undefined }), 'name');
      await bad(agentBody({ config: { temperature: 2.5 } }), 'config.temperature');
      await bad(agentBody({ config: { max_steps: 51 } }), 'config.max_steps');
      await bad(agentBody({ config: { seed: 1 } }), 'config.seed');
      await bad(agentBody({ tools: ['ok', 'ok'] }), 'tools');
      await bad(agentBody({ model: { provider: 'openai' } }), 'model');
      await bad(agentBody({ metadata: { blob: 'x'.repeat(20_000) } }), 'metadata');
      await bad(agentBody({ metadata: [1] }), 'metadata');
      await bad(agentBody({ system_prompt: 'nul \u0000 here' }), 'system_prompt');
    });

    it("holds an inline model to the model component's schema and keeps keys out of it", async () => {
      const create = (model: Record<string, unknown>) =>
        api().post('/api/v1/agents').set('Authorization', editor).send(agentBody({ model }));
      const before = await rowCounts(ctx);
      const refusals: Array<[Record<string, unknown>, string]> = [
        [{ provider: 'openai', model: 'gpt-4o', temperature: 7 }, 'model/temperature must be <= 2'],
        [{ provider: 'openai', model: 'gpt-4o', colour: 'red' }, 'model: unknown field "colour"'],
        [{ provider: 'anthropic', model: 'claude' }, 'model/provider must be one of openai, scripted'],
        [{ provider: 'openai', model: 'gpt-4o', base_url: 'not a url' }, 'model/base_url must match'],
        [{ provider: 'scripted', model: 'script' }, "must have required property 'replies'"],
        [
          { provider: 'scripted', model: 'script', replies: [{ content: 'x', pause: 1 }] },
          'model/replies/0: unknown field "pause"',
        ],
        [{ provider: 'openai', model: 'gpt-4o', api_key: 'sk-live-1234' }, 'model/api_key: an inline model'],
      ];
      for (const [model, says] of refusals) {
        const error = expectError(await create(model), 400, 'VALIDATION_FAILED');
        expect(error.details).toEqual([
          expect.objectContaining({ field: 'model', message: expect.stringContaining(says) }),
        ]);
        // The refused key is not echoed back.
        expect(JSON.stringify(error)).not.toContain('sk-live-1234');
      }
      expect(await rowCounts(ctx)).toEqual(before);

      // What the scripted provider plays back: strings, pauses, errors, a pace between tokens.
      const scripted = {
        provider: 'scripted',
        model: 'script',
        replies: ['Hello', { content: 'Later', delay_ms: 10 }, { error: 'model down' }],
        token_delay_ms: 5,
      };
      const res = await create(scripted);
      expect(res.status).toBe(201);
      expect(res.body.model).toEqual(scripted);
    });

    it('answers 409 AGENT_NAME_TAKEN for a second agent with the same name', async () => {
      const first = await createAgent(ctx, tenant);
      expectError(
        await api()
          .post('/api/v1/agents')
          .set('Authorization', editor)
          .send(agentBody({ name: first.name })),
        409,
        'AGENT_NAME_TAKEN',
      );
    });
  });

  describe('list', () => {
    let listTenant: TestTenant;
    beforeAll(async () => {
      listTenant = await createTenant(ctx);
      await createAgent(ctx, listTenant, { name: 'alpha', tags: ['red'], description: 'Answers billing' });
      await createAgent(ctx, listTenant, { name: 'beta', tags: ['red', 'blue'] });
      const gamma = await createAgent(ctx, listTenant, { name: 'gamma', tags: [] });
      await api()
        .post(`/api/v1/agents/${gamma.id}/deactivate`)
        .set('Authorization', `Bearer ${listTenant.token('editor')}`);
    });
    const list = (qs: string) =>
      api()
        .get(`/api/v1/agents${qs}`)
        .set('Authorization', `Bearer ${listTenant.token('viewer')}`);

    it('pages by name', async () => {
      const res = await list('?limit=2');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        total: 3,
        limit: 2,
        offset: 0,
        items: expect.any(Array),
        next_cursor: expect.any(String),
      });
      expect(res.body.items.map((a: { name: string }) => a.name)).toEqual(['alpha', 'beta']);
      expect(res.body.items[0]).toEqual({
        id: expect.any(String),
        name: 'alpha',
        description: 'Answers billing',
        model: 'gpt4',
        tools: ['search', 'ticket'],
        status: 'active',
        version: 1,
        config_hash: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
        tags: ['red'],
        created_at: expect.any(String),
        updated_at: expect.any(String),
      });
      expect((await list('?limit=2&offset=2')).body.items.map((a: { name: string }) => a.name)).toEqual([
        'gamma',
      ]);
    });

    it('pages by cursor: an agent added or deleted before the cursor neither repeats nor skips one', async () => {
      const cursorTenant = await createTenant(ctx);
      const as = `Bearer ${cursorTenant.token('editor')}`;
      const make = (name: string) => createAgent(ctx, cursorTenant, { name });
      const made = new Map<string, string>();
      for (const name of ['a1', 'a2', 'a3', 'a4', 'a5']) made.set(name, (await make(name)).id);
      const page = async (qs: string) => {
        const res = await api().get(`/api/v1/agents${qs}`).set('Authorization', as);
        expect(res.status).toBe(200);
        return res.body as { total: number; items: Array<{ name: string }>; next_cursor: string | null };
      };
      const first = await page('?limit=2');
      expect(first.items.map((a) => a.name)).toEqual(['a1', 'a2']);
      // Changes before the cursor: one agent deleted, one added in front.
      await api()
        .delete(`/api/v1/agents/${made.get('a1')}`)
        .set('Authorization', `Bearer ${cursorTenant.token('owner')}`)
        .expect(204);
      await make('a0');
      const second = await page(`?limit=2&cursor=${first.next_cursor}`);
      expect(second.items.map((a) => a.name)).toEqual(['a3', 'a4']);
      expect(second.total).toBe(5);
      const third = await page(`?limit=2&cursor=${second.next_cursor}`);
      expect(third.items.map((a) => a.name)).toEqual(['a5']);
      expect(third.next_cursor).toBeNull();
      // Filters hold across pages.
      const tagged = await page(`?limit=1&q=a&cursor=${first.next_cursor}`);
      expect(tagged.items.map((a) => a.name)).toEqual(['a3']);

      for (const bad of [
        '!!',
        'bm90LWpzb24',
        Buffer.from('["x"]').toString('base64url'),
        Buffer.from('["x","y"]').toString('base64url'),
        Buffer.from(`["x\\u0000","${made.get('a2')}"]`).toString('base64url'),
      ]) {
        const error = expectError(
          await api().get(`/api/v1/agents?cursor=${bad}`).set('Authorization', as),
          400,
          'VALIDATION_FAILED',
        );
        expect(error.details).toEqual([expect.objectContaining({ field: 'cursor' })]);
      }
      expectError(
        await api().get(`/api/v1/agents?offset=1&cursor=${first.next_cursor}`).set('Authorization', as),
        400,
        'VALIDATION_FAILED',
      );
    });

    it('filters by tag, status and q (name or description)', async () => {
      const names = async (qs: string) => (await list(qs)).body.items.map((a: { name: string }) => a.name);
      expect(await names('?tag=red')).toEqual(['alpha', 'beta']);
      expect(await names('?tag=blue')).toEqual(['beta']);
      expect(await names('?status=inactive')).toEqual(['gamma']);
      expect(await names('?q=BILL')).toEqual(['alpha']);
      expect(await names('?q=amm')).toEqual(['gamma']);
      expect(await names('?q=%25')).toEqual([]);
    });

    it('refuses a bad page or filter', async () => {
      expectError(await list('?limit=101'), 400, 'VALIDATION_FAILED');
      expectError(await list('?status=sleeping'), 400, 'VALIDATION_FAILED');
    });
  });

  describe('update', () => {
    it('PUT writes a new version when the config changes, and none when nothing does', async () => {
      const agent = await createAgent(ctx, tenant);
      const body = agentBody({ name: agent.name, system_prompt: 'Be brief' });
      const v2 = await api().put(`/api/v1/agents/${agent.id}`).set('Authorization', editor).send(body);
      expect(v2.status).toBe(200);
      expect(v2.headers.etag).toBe('"2"');
      expect(v2.body).toEqual(expect.objectContaining({ version: 2, system_prompt: 'Be brief' }));
      expect(v2.body.config_hash).toBe(hashOf(v2.body));

      const same = await api().put(`/api/v1/agents/${agent.id}`).set('Authorization', editor).send(body);
      expect(same.status).toBe(200);
      expect(same.body.version).toBe(2);
      const versions = await api().get(`/api/v1/agents/${agent.id}/versions`).set('Authorization', editor);
      expect(versions.body.total).toBe(2);
    });

    it('PUT resets what the body leaves out', async () => {
      const agent = await createAgent(ctx, tenant);
      const res = await api()
        .put(`/api/v1/agents/${agent.id}`)
        .set('Authorization', editor)
        .send({ name: agent.name, model: 'gpt4' });
      expect(res.body).toEqual(
        expect.objectContaining({ version: 2, tools: [], description: null, tags: [], config: {} }),
      );
    });

    it('PATCH changes only what it names; null clears; config and metadata merge', async () => {
      const agent = await createAgent(ctx, tenant, { metadata: { team: 'a', keep: 1 } });
      const res = await api()
        .patch(`/api/v1/agents/${agent.id}`)
        .set('Authorization', editor)
        .send({
          description: null,
          config: { temperature: null, top_p: 0.5 },
          metadata: { team: 'b' },
          note: 'tune',
        });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        ...agent,
        description: null,
        config: { max_steps: 10, top_p: 0.5 },
        metadata: { team: 'b', keep: 1 },
        version: 2,
        config_hash: hashOf(res.body),
        updated_at: expect.any(String),
      });
      const version = await api().get(`/api/v1/agents/${agent.id}/versions/2`).set('Authorization', editor);
      expect(version.body).toEqual({
        agent_id: agent.id,
        version: 2,
        config_hash: res.body.config_hash,
        created_by: `user:${tenant.slug}-user`,
        created_at: expect.any(String),
        note: 'tune',
        config: Object.fromEntries(CONFIG_KEYS.map((key) => [key, res.body[key]])),
      });
      expectError(
        await api().patch(`/api/v1/agents/${agent.id}`).set('Authorization', editor).send({ name: null }),
        400,
        'VALIDATION_FAILED',
      );
    });

    it('PATCH holds the merged metadata and inline model to their caps, and a refused one changes nothing', async () => {
      const agent = await createAgent(ctx, tenant, { metadata: { a: 'x'.repeat(10_000) } });
      const patch = (body: Record<string, unknown>) =>
        api().patch(`/api/v1/agents/${agent.id}`).set('Authorization', editor).send(body);
      // Each half fits on its own; together they are over 16 KB.
      const metadata = expectError(
        await patch({ metadata: { b: 'y'.repeat(10_000) } }),
        400,
        'VALIDATION_FAILED',
      );
      expect(metadata.details).toEqual([expect.objectContaining({ field: 'metadata' })]);

      const inline = {
        provider: 'openai',
        model: 'gpt-4o-mini',
        base_url: `https://models.example.com/${'a'.repeat(2_000)}`,
      };
      const model = await patch({ model: inline });
      expect(model.status).toBe(200);
      const replies = Array.from({ length: 30 }, (_, i) => `reply ${i} `.repeat(10));
      const grown = expectError(
        await patch({ model: { provider: 'scripted', model: 'demo', replies } }),
        400,
        'VALIDATION_FAILED',
      );
      expect(grown.details).toEqual([expect.objectContaining({ field: 'model' })]);

      const stored = await api().get(`/api/v1/agents/${agent.id}`).set('Authorization', editor);
      expect(stored.body.version).toBe(2);
      expect(stored.body.metadata).toEqual({ a: 'x'.repeat(10_000) });
      expect(stored.body.model).toEqual(inline);
    });

    it('a rename or new tags keep the version but are audited and published', async () => {
      const agent = await createAgent(ctx, tenant);
      const res = await api()
        .patch(`/api/v1/agents/${agent.id}`)
        .set('Authorization', editor)
        .send({ name: `${agent.name}_renamed`, tags: ['x'] });
      expect(res.body).toEqual(
        expect.objectContaining({ version: 1, name: `${agent.name}_renamed`, tags: ['x'] }),
      );
      const changes = await changesOf(ctx, agent.id);
      expect(changes.map((c) => [c.type, c.version])).toEqual([
        ['agent.created', 1],
        ['agent.updated', 1],
      ]);
      const audit = await auditOf(ctx, agent.id);
      expect(audit[1]).toEqual(
        expect.objectContaining({
          action: 'agent.updated',
          before: expect.objectContaining({ name: agent.name, tags: ['support'] }),
          after: expect.objectContaining({ name: `${agent.name}_renamed`, tags: ['x'] }),
        }),
      );
    });

    it('a rename onto a taken name is 409', async () => {
      const a = await createAgent(ctx, tenant);
      const b = await createAgent(ctx, tenant);
      expectError(
        await api().patch(`/api/v1/agents/${b.id}`).set('Authorization', editor).send({ name: a.name }),
        409,
        'AGENT_NAME_TAKEN',
      );
    });
  });

  describe('If-Match', () => {
    it('accepts the current version in any ETag spelling and refuses a stale one with 412', async () => {
      const agent = await createAgent(ctx, tenant);
      const patch = (ifMatch: string, prompt: string) =>
        api()
          .patch(`/api/v1/agents/${agent.id}`)
          .set('Authorization', editor)
          .set('If-Match', ifMatch)
          .send({ system_prompt: prompt });
      expect((await patch('"1"', 'two')).body.version).toBe(2);
      expect((await patch('2', 'three')).body.version).toBe(3);
      expect((await patch('W/"3"', 'four')).body.version).toBe(4);
      expect((await patch('*', 'five')).body.version).toBe(5);

      const before = await rowCounts(ctx);
      const stale = await patch('"4"', 'lost');
      const error = expectError(stale, 412, 'VERSION_CONFLICT');
      expect(error.details).toEqual([expect.objectContaining({ current_version: 5 })]);
      expect(stale.headers.etag).toBe('"5"');
      expect(await rowCounts(ctx)).toEqual(before);

      expectError(await patch('"abc"', 'x'), 400, 'INVALID_IF_MATCH');
      expectError(
        await api().delete(`/api/v1/agents/${agent.id}`).set('Authorization', editor).set('If-Match', '"1"'),
        412,
        'VERSION_CONFLICT',
      );
      expectError(
        await api()
          .post(`/api/v1/agents/${agent.id}/rollback`)
          .set('Authorization', editor)
          .set('If-Match', '"1"')
          .send({ version: 1 }),
        412,
        'VERSION_CONFLICT',
      );
      expectError(
        await api()
          .put(`/api/v1/agents/${agent.id}/labels/staging`)
          .set('Authorization', editor)
          .set('If-Match', '"1"')
          .send({ version: 1 }),
        412,
        'VERSION_CONFLICT',
      );
      expect(await rowCounts(ctx)).toEqual(before);
    });
  });

  describe('versions, diff and rollback', () => {
    it('lists versions newest first, diffs two of them and rolls back as a new version', async () => {
      await seedTools(ctx, tenant.id, ['a', 'b']);
      const agent = await createAgent(ctx, tenant, { system_prompt: 'one', tools: ['a'] });
      await api()
        .patch(`/api/v1/agents/${agent.id}`)
        .set('Authorization', editor)
        .send({ system_prompt: 'two' });
      await api()
        .patch(`/api/v1/agents/${agent.id}`)
        .set('Authorization', editor)
        .send({ tools: ['a', 'b'], config: { temperature: 1 } });

      const list = await api()
        .get(`/api/v1/agents/${agent.id}/versions?limit=2`)
        .set('Authorization', editor);
      expect(list.body).toEqual({
        total: 3,
        limit: 2,
        offset: 0,
        items: [
          expect.objectContaining({ version: 3, note: null, created_by: `user:${tenant.slug}-user` }),
          expect.objectContaining({ version: 2 }),
        ],
      });
      expect(Object.keys(list.body.items[0]).sort()).toEqual(
        ['config_hash', 'created_at', 'created_by', 'note', 'version'].sort(),
      );

      const diff = await api()
        .get(`/api/v1/agents/${agent.id}/diff?from=1&to=3`)
        .set('Authorization', editor);
      expect(diff.status).toBe(200);
      expect(diff.body.from).toBe(1);
      expect(diff.body.to).toBe(3);
      expect(diff.body.patch).toEqual(
        expect.arrayContaining([
          { op: 'replace', path: '/system_prompt', value: 'two' },
          { op: 'add', path: '/tools/1', value: 'b' },
          { op: 'replace', path: '/config/temperature', value: 1 },
        ]),
      );
      expect(diff.body.changed_paths).toEqual(['/config/temperature', '/system_prompt', '/tools']);
      const toCurrent = await api()
        .get(`/api/v1/agents/${agent.id}/diff?from=2`)
        .set('Authorization', editor);
      expect(toCurrent.body.to).toBe(3);
      expectError(
        await api().get(`/api/v1/agents/${agent.id}/diff?from=1&to=9`).set('Authorization', editor),
        404,
        'VERSION_NOT_FOUND',
      );
      expectError(
        await api().get(`/api/v1/agents/${agent.id}/diff`).set('Authorization', editor),
        400,
        'VALIDATION_FAILED',
      );

      const rolled = await api()
        .post(`/api/v1/agents/${agent.id}/rollback`)
        .set('Authorization', editor)
        .send({ version: 1 });
      expect(rolled.status).toBe(200);
      expect(rolled.headers.etag).toBe('"4"');
      expect(rolled.body).toEqual(
        expect.objectContaining({
          version: 4,
          system_prompt: 'one',
          tools: ['a'],
          config_hash: agent.config_hash,
        }),
      );
      const v4 = await api().get(`/api/v1/agents/${agent.id}/versions/4`).set('Authorization', editor);
      expect(v4.body.note).toBe('Rollback to version 1');
      const v1 = await api().get(`/api/v1/agents/${agent.id}/versions/1`).set('Authorization', editor);
      expect(v4.body.config).toEqual(v1.body.config);

      const again = await api()
        .post(`/api/v1/agents/${agent.id}/rollback`)
        .set('Authorization', editor)
        .send({ version: 1, note: 'no-op' });
      expect(again.body.version).toBe(4);
      expectError(
        await api()
          .post(`/api/v1/agents/${agent.id}/rollback`)
          .set('Authorization', editor)
          .send({ version: 7 }),
        404,
        'VERSION_NOT_FOUND',
      );
      expectError(
        await api().get(`/api/v1/agents/${agent.id}/versions/9`).set('Authorization', editor),
        404,
        'VERSION_NOT_FOUND',
      );
      expectError(
        await api().get(`/api/v1/agents/${agent.id}/versions/x`).set('Authorization', editor),
        400,
        'VALIDATION_FAILED',
      );
    });
  });

  describe('labels', () => {
    it('sets, moves, lists and removes labels; latest is implicit; production needs admin', async () => {
      const agent = await createAgent(ctx, tenant);
      await api()
        .patch(`/api/v1/agents/${agent.id}`)
        .set('Authorization', editor)
        .send({ system_prompt: 'v2' });
      const label = (name: string, version: number, auth = editor) =>
        api().put(`/api/v1/agents/${agent.id}/labels/${name}`).set('Authorization', auth).send({ version });

      const staged = await label('staging', 1);
      expect(staged.status).toBe(200);
      expect(staged.body).toEqual({
        label: 'staging',
        version: 1,
        config_hash: agent.config_hash,
        implicit: false,
        updated_by: `user:${tenant.slug}-user`,
        updated_at: expect.any(String),
      });
      expect((await label('staging', 2)).body.version).toBe(2);
      expectError(await label('production', 2), 403, 'LABEL_PROTECTED');
      expect((await label('production', 1, admin)).status).toBe(200);
      expectError(await label('latest', 1), 400, 'LABEL_RESERVED');
      expectError(await label('Bad Label', 1), 400, 'VALIDATION_FAILED');
      expectError(await label('canary', 3), 404, 'VERSION_NOT_FOUND');

      const list = await api().get(`/api/v1/agents/${agent.id}/labels`).set('Authorization', editor);
      expect(list.body.agent_id).toBe(agent.id);
      expect(
        list.body.items.map((l: { label: string; version: number; implicit: boolean }) => [
          l.label,
          l.version,
          l.implicit,
        ]),
      ).toEqual([
        ['latest', 2, true],
        ['production', 1, false],
        ['staging', 2, false],
      ]);
      const got = await api().get(`/api/v1/agents/${agent.id}`).set('Authorization', editor);
      expect(got.body.labels).toEqual({ production: 1, staging: 2 });

      const changes = await changesOf(ctx, agent.id);
      expect(
        changes
          .filter((c) => c.type === 'agent.label_moved')
          .map((c) => [c.payload.label, c.payload.from, c.payload.to, c.version]),
      ).toEqual([
        ['staging', null, 1, 1],
        ['staging', 1, 2, 2],
        ['production', null, 1, 1],
      ]);

      expect(
        (await api().delete(`/api/v1/agents/${agent.id}/labels/staging`).set('Authorization', editor)).status,
      ).toBe(204);
      expectError(
        await api().delete(`/api/v1/agents/${agent.id}/labels/staging`).set('Authorization', editor),
        404,
        'LABEL_NOT_FOUND',
      );
      expectError(
        await api().delete(`/api/v1/agents/${agent.id}/labels/production`).set('Authorization', editor),
        403,
        'LABEL_PROTECTED',
      );
      expectError(
        await api().delete(`/api/v1/agents/${agent.id}/labels/latest`).set('Authorization', admin),
        400,
        'LABEL_RESERVED',
      );
      const audit = await auditOf(ctx, agent.id);
      expect(audit.map((a) => a.action)).toEqual([
        'agent.created',
        'agent.updated',
        'agent.label_moved',
        'agent.label_moved',
        'agent.label_moved',
        'agent.label_deleted',
      ]);
    });
  });

  describe('status and delete', () => {
    it('deactivates and activates, publishing status changes', async () => {
      const agent = await createAgent(ctx, tenant);
      const off = await api().post(`/api/v1/agents/${agent.id}/deactivate`).set('Authorization', editor);
      expect(off.status).toBe(200);
      expect(off.body).toEqual(expect.objectContaining({ status: 'inactive', version: 1 }));
      const again = await api().post(`/api/v1/agents/${agent.id}/deactivate`).set('Authorization', editor);
      expect(again.body.status).toBe('inactive');
      const on = await api().post(`/api/v1/agents/${agent.id}/activate`).set('Authorization', editor);
      expect(on.body.status).toBe('active');
      const changes = await changesOf(ctx, agent.id);
      expect(changes.map((c) => [c.type, c.payload.status ?? null])).toEqual([
        ['agent.created', 'active'],
        ['agent.status_changed', 'inactive'],
        ['agent.status_changed', 'active'],
      ]);
    });

    it('deletes (versions kept, name free again) and re-creates with the same name', async () => {
      const agent = await createAgent(ctx, tenant);
      const del = await api()
        .delete(`/api/v1/agents/${agent.id}`)
        .set('Authorization', editor)
        .set('If-Match', '"1"');
      expect(del.status).toBe(204);
      expectError(
        await api().get(`/api/v1/agents/${agent.id}`).set('Authorization', editor),
        404,
        'AGENT_NOT_FOUND',
      );
      expectError(
        await api().delete(`/api/v1/agents/${agent.id}`).set('Authorization', editor),
        404,
        'AGENT_NOT_FOUND',
      );
      const listed = await api().get(`/api/v1/agents?q=${agent.name}`).set('Authorization', editor);
      expect(listed.body.total).toBe(0);

      const again = await createAgent(ctx, tenant, { name: agent.name });
      expect(again.id).not.toBe(agent.id);
      expect(again.version).toBe(1);
      const kept = await query<{ version: number }>(
        ctx,
        'SELECT version FROM agent_versions WHERE agent_id = $1',
        [agent.id],
      );
      expect(kept).toEqual([{ version: 1 }]);
      const changes = await changesOf(ctx, agent.id);
      expect(changes.map((c) => [c.type, c.version, c.config_hash])).toEqual([
        ['agent.created', 1, agent.config_hash],
        ['agent.deleted', 1, agent.config_hash],
      ]);
      const audit = await auditOf(ctx, agent.id);
      expect(audit[1]).toEqual(
        expect.objectContaining({
          action: 'agent.deleted',
          before: expect.objectContaining({ id: agent.id }),
          after: null,
        }),
      );
    });
  });

  describe('outbox and audit', () => {
    it('every change writes its version, audit row and outbox row together', async () => {
      const agent = await createAgent(ctx, tenant);
      await api()
        .patch(`/api/v1/agents/${agent.id}`)
        .set('Authorization', editor)
        .send({ system_prompt: 'changed' });
      const changes = await changesOf(ctx, agent.id);
      expect(changes).toEqual([
        expect.objectContaining({ type: 'agent.created', version: 1, config_hash: agent.config_hash }),
        expect.objectContaining({
          type: 'agent.updated',
          version: 2,
          config_hash: expect.stringMatching(/^sha256:/),
        }),
      ]);
      const audit = await auditOf(ctx, agent.id);
      expect(audit).toEqual([
        expect.objectContaining({ action: 'agent.created', before: null, actor: `user:${tenant.slug}-user` }),
        expect.objectContaining({
          action: 'agent.updated',
          before: expect.objectContaining({ version: 1, system_prompt: 'You are a helpful assistant' }),
          after: expect.objectContaining({ version: 2, system_prompt: 'changed' }),
        }),
      ]);
    });

    it('a refused or empty change writes nothing', async () => {
      const agent = await createAgent(ctx, tenant);
      const before = await rowCounts(ctx);
      await api().patch(`/api/v1/agents/${agent.id}`).set('Authorization', editor).send({});
      await api()
        .patch(`/api/v1/agents/${agent.id}`)
        .set('Authorization', editor)
        .send({ tools: new Array(21).fill(0).map((_, i) => `t${i}`) });
      await api()
        .post('/api/v1/agents')
        .set('Authorization', editor)
        .send(agentBody({ name: agent.name }));
      await api()
        .patch(`/api/v1/agents/${agent.id}`)
        .set('Authorization', `Bearer ${tenant.token('viewer')}`)
        .send({ system_prompt: 'x' });
      expect(await rowCounts(ctx)).toEqual(before);
    });
  });

  describe('tier rules', () => {
    it('refuses too many tools, a long prompt and a disallowed provider with 422 naming limit, value and tier', async () => {
      const free = await createTenant(ctx, {
        tier: 'free',
        limits: { allowed_model_providers: ['scripted'], max_prompt_length: 50 },
      });
      const auth = `Bearer ${free.token('editor')}`;
      await seedTools(ctx, free.id, ['a', 'b', 'c', 'd']);
      const error = expectError(
        await api()
          .post('/api/v1/agents')
          .set('Authorization', auth)
          .send(
            agentBody({
              tools: ['a', 'b', 'c', 'd'],
              system_prompt: 'x'.repeat(51),
              model: { provider: 'openai', model: 'gpt-4o' },
            }),
          ),
        422,
        'TIER_LIMIT_EXCEEDED',
      );
      expect(error.details).toEqual([
        expect.objectContaining({
          limit: 'allowed_model_providers',
          value: ['scripted'],
          tier: 'free',
          actual: 'openai',
        }),
        expect.objectContaining({ limit: 'max_tools_per_agent', value: 3, tier: 'free', actual: 4 }),
        expect.objectContaining({ limit: 'max_prompt_length', value: 50, tier: 'free', actual: 51 }),
      ]);
      const ok = await createAgent(ctx, free, {
        tools: ['a'],
        model: { provider: 'scripted', model: 'echo', replies: ['hi'] },
      });
      expectError(
        await api()
          .patch(`/api/v1/agents/${ok.id}`)
          .set('Authorization', auth)
          .send({ tools: ['a', 'b', 'c', 'd'] }),
        422,
        'TIER_LIMIT_EXCEEDED',
      );
    });

    it('refuses an agent beyond max_agents; deleting one makes room', async () => {
      const small = await createTenant(ctx, { tier: 'free', limits: { max_agents: 2 } });
      const auth = `Bearer ${small.token('editor')}`;
      const first = await createAgent(ctx, small);
      await createAgent(ctx, small);
      const error = expectError(
        await api().post('/api/v1/agents').set('Authorization', auth).send(agentBody()),
        422,
        'TIER_LIMIT_EXCEEDED',
      );
      expect(error.details).toEqual([
        expect.objectContaining({ limit: 'max_agents', value: 2, tier: 'free' }),
      ]);
      await api().delete(`/api/v1/agents/${first.id}`).set('Authorization', auth);
      await createAgent(ctx, small);
    });
  });

  describe('validate', () => {
    it('checks a would-be agent and saves nothing', async () => {
      const existing = await createAgent(ctx, tenant);
      const before = await rowCounts(ctx);
      const res = await api()
        .post('/api/v1/agents/validate')
        .set('Authorization', editor)
        .send({ name: existing.name, tools: new Array(21).fill(0).map((_, i) => `t${i}`) });
      expect(res.status).toBe(200);
      expect(res.body.valid).toBe(false);
      expect(res.body.findings).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            severity: 'error',
            code: 'TOO_MANY_TOOLS',
            path: '/tools',
            limit: 'max_tools_per_agent',
            value: 20,
            tier: 'pro',
          }),
          expect.objectContaining({ severity: 'error', code: 'AGENT_NAME_TAKEN', path: '/name' }),
          expect.objectContaining({ severity: 'warning', code: 'MODEL_MISSING', path: '/model' }),
        ]),
      );
      const fine = await api().post('/api/v1/agents/validate').set('Authorization', editor).send(agentBody());
      expect(fine.body).toEqual({ valid: true, findings: [] });
      // Its input follows the rules of a create: tags a create refuses are refused here too.
      for (const tags of [['dup', 'dup'], ['has space']]) {
        const refused = await api()
          .post('/api/v1/agents/validate')
          .set('Authorization', editor)
          .send(agentBody({ tags }));
        expect(expectError(refused, 400, 'VALIDATION_FAILED').details).toEqual([
          expect.objectContaining({ field: 'tags' }),
        ]);
      }
      expect(await rowCounts(ctx)).toEqual(before);
    });

    it('checks an agent as it would be after changes', async () => {
      const agent = await createAgent(ctx, tenant);
      const res = await api()
        .post(`/api/v1/agents/${agent.id}/validate`)
        .set('Authorization', editor)
        .send({ model: null });
      expect(res.body).toEqual({
        valid: true,
        findings: [expect.objectContaining({ severity: 'warning', code: 'MODEL_MISSING' })],
      });
      const asIs = await api().post(`/api/v1/agents/${agent.id}/validate`).set('Authorization', editor);
      expect(asIs.body).toEqual({ valid: true, findings: [] });
      const got = await api().get(`/api/v1/agents/${agent.id}`).set('Authorization', editor);
      expect(got.body.model).toBe('gpt4');
    });
  });
});
