import { DataSource } from 'typeorm';
import { createAgent } from '../factories/agent.factory';
import { componentConfigs, putComponent } from '../factories/component.factory';
import { createTenant, TestTenant } from '../factories/tenant.factory';
import { expectError } from '../helpers/envelope';
import { startTestApp, TestApp } from '../helpers/test-app';

const API_KEY = 'sk-proj-abcdefghijklmnopqrstuvwxyz0123456789WXYZ';
const HEADER_SECRET = 'Bearer super-secret-token-value-7777';

describe('Component configs', () => {
  let ctx: TestApp;
  let tenant: TestTenant;
  let other: TestTenant;

  beforeAll(async () => {
    ctx = await startTestApp();
    tenant = await createTenant(ctx, { components: false });
    other = await createTenant(ctx, { components: false });
  });
  afterAll(() => ctx.close());

  const as = (role: 'owner' | 'editor' | 'viewer', t: TestTenant = tenant) => ({
    Authorization: `Bearer ${t.token(role)}`,
  });

  it('creates, reads, lists, updates and deletes a component, keeping its history', async () => {
    const created = await ctx.http
      .put('/api/v1/config/fast-model')
      .set(as('editor'))
      .send({ config: componentConfigs.model(), description: 'The fast one', tags: ['prod'] });
    expect(created.status).toBe(200);
    expect(created.body).toEqual({ success: true, message: expect.any(String), version: 1, findings: [] });
    expect(created.headers.etag).toBe('"1"');

    const read = await ctx.http.get('/api/v1/config/fast-model').set(as('viewer'));
    expect(read.status).toBe(200);
    expect(read.headers.etag).toBe('"1"');
    expect(read.body).toEqual({
      id: expect.any(String),
      name: 'fast-model',
      type: 'model',
      description: 'The fast one',
      enabled: true,
      tags: ['prod'],
      version: 1,
      config: componentConfigs.model(),
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });

    await putComponent(ctx, tenant, 'calc', componentConfigs.tool(), { enabled: false });
    const tools = await ctx.http.get('/api/v1/config?type=tool').set(as('viewer'));
    expect(tools.body).toEqual({
      total: 1,
      limit: 20,
      offset: 0,
      configs: [expect.objectContaining({ name: 'calc', type: 'tool', enabled: false, tags: [] })],
    });
    const tagged = await ctx.http.get('/api/v1/config?tag=prod&enabled=true').set(as('viewer'));
    expect(tagged.body.configs.map((c: { name: string }) => c.name)).toEqual(['fast-model']);

    const updated = await ctx.http
      .put('/api/v1/config/fast-model')
      .set(as('editor'))
      .set('If-Match', '"1"')
      .send({ config: componentConfigs.model({ temperature: 0.9 }) });
    expect(updated.body).toEqual(expect.objectContaining({ success: true, version: 2 }));
    // Same again: no new version.
    const same = await ctx.http
      .put('/api/v1/config/fast-model')
      .set(as('editor'))
      .send({ config: componentConfigs.model({ temperature: 0.9 }) });
    expect(same.body).toEqual(expect.objectContaining({ success: true, version: 2 }));
    // The description and tags were left out: kept.
    const after = await ctx.http.get('/api/v1/config/fast-model').set(as('viewer'));
    expect(after.body).toEqual(
      expect.objectContaining({ description: 'The fast one', tags: ['prod'], version: 2 }),
    );

    const deleted = await ctx.http
      .delete('/api/v1/config/fast-model')
      .set(as('editor'))
      .set('If-Match', '"2"');
    expect(deleted.status).toBe(204);
    expectError(
      await ctx.http.get('/api/v1/config/fast-model').set(as('viewer')),
      404,
      'COMPONENT_NOT_FOUND',
    );

    const history = await ctx.http.get('/api/v1/config/fast-model/history').set(as('viewer'));
    expect(history.status).toBe(200);
    expect(history.body).toEqual({
      component_name: 'fast-model',
      total: 3,
      limit: 20,
      offset: 0,
      history: [
        expect.objectContaining({ change_type: 'deleted', version: 2, new_config: null }),
        expect.objectContaining({ change_type: 'updated', version: 2 }),
        expect.objectContaining({ change_type: 'created', version: 1, old_config: null }),
      ],
    });
    const [, update, creation] = history.body.history;
    expect(update.old_config.config.temperature).toBe(0.2);
    expect(update.new_config.config.temperature).toBe(0.9);
    expect(update.actor).toBe(`user:${tenant.slug}-user`);
    expect(creation.new_config).toEqual({
      type: 'model',
      description: 'The fast one',
      enabled: true,
      tags: ['prod'],
      config: componentConfigs.model(),
    });
    expect(creation.timestamp).toEqual(expect.any(String));
  });

  it('accepts each type and refuses what its schema does not allow (422 with findings)', async () => {
    for (const [name, config] of [
      ['m-scripted', componentConfigs.scripted()],
      [
        'm-scripted-paced',
        componentConfigs.scripted({
          replies: ['Hi', { content: 'Later', delay_ms: 50 }, { error: 'down' }],
          token_delay_ms: 10,
        }),
      ],
      ['t-http', componentConfigs.httpTool()],
      ['mem', componentConfigs.memory()],
      ['kb', componentConfigs.knowledge()],
      ['kb-http', { type: 'knowledge', http_retrieval: { url: 'https://kb.example.com/search', top_k: 3 } }],
    ] as const) {
      await putComponent(ctx, tenant, name, config);
    }
    const cases: Array<[Record<string, unknown>, string, string]> = [
      [componentConfigs.model({ provider: 'anthropic' }), 'SCHEMA_INVALID', '/config/provider'],
      [componentConfigs.model({ typo: 1 }), 'SCHEMA_INVALID', '/config'],
      [componentConfigs.scripted({ replies: undefined }), 'SCHEMA_INVALID', '/config'],
      [componentConfigs.scripted({ replies: [{ pause: 1 }] }), 'SCHEMA_INVALID', '/config/replies/0'],
      [componentConfigs.scripted({ token_delay_ms: -1 }), 'SCHEMA_INVALID', '/config/token_delay_ms'],
      [
        componentConfigs.memory({ session_window: { max_messages: 0 } }),
        'SCHEMA_INVALID',
        '/config/session_window/max_messages',
      ],
      [componentConfigs.tool({ http: { url: 'https://x.example.com' } }), 'SCHEMA_INVALID', '/config'],
      [
        componentConfigs.tool({ parameters: { type: 'nonsense' } }),
        'TOOL_PARAMETERS_INVALID',
        '/config/parameters',
      ],
      [{ type: 'gadget' }, 'COMPONENT_TYPE_INVALID', '/config/type'],
      // Names of Object's own members are no types either.
      ...['constructor', 'toString', 'valueOf', '__proto__', 'hasOwnProperty'].map(
        (type): [Record<string, unknown>, string, string] => [
          { type },
          'COMPONENT_TYPE_INVALID',
          '/config/type',
        ],
      ),
    ];
    for (const [config, code, path] of cases) {
      const res = await ctx.http.put('/api/v1/config/broken').set(as('editor')).send({ config });
      const error = expectError(res, 422, 'COMPONENT_CONFIG_INVALID');
      expect(error.details).toEqual(expect.arrayContaining([expect.objectContaining({ code, path })]));
    }
    expectError(await ctx.http.get('/api/v1/config/broken').set(as('viewer')), 404, 'COMPONENT_NOT_FOUND');

    // A component keeps its type.
    const retyped = await ctx.http
      .put('/api/v1/config/mem')
      .set(as('editor'))
      .send({ config: componentConfigs.knowledge() });
    expect(expectError(retyped, 422, 'COMPONENT_CONFIG_INVALID').details).toEqual([
      expect.objectContaining({ code: 'COMPONENT_TYPE_CHANGE' }),
    ]);
  });

  it('keeps JSON keys named like Object.prototype methods (toString, valueOf)', async () => {
    const parameters = {
      type: 'object',
      properties: { toString: { type: 'string' }, valueOf: { type: 'number' } },
    };
    await putComponent(ctx, tenant, 'proto-keys', componentConfigs.tool({ parameters }));
    const read = await ctx.http.get('/api/v1/config/proto-keys').set(as('viewer'));
    expect(read.body.config.parameters).toEqual(parameters);
    const agent = await createAgent(ctx, tenant, {
      model: { provider: 'scripted', model: 'echo', replies: ['hi'] },
      tools: [],
      memory: null,
      knowledge: null,
      metadata: { toString: 'kept', ' ': { valueOf: false, toString: null } },
    });
    expect(agent.metadata).toEqual({ toString: 'kept', ' ': { valueOf: false, toString: null } });
  });

  it('validate_only answers the findings and saves nothing', async () => {
    const bad = await ctx.http
      .put('/api/v1/config/dry')
      .set(as('editor'))
      .send({ config: componentConfigs.memory({ extra: true }), validate_only: true });
    expect(bad.status).toBe(200);
    expect(bad.body).toEqual({
      success: false,
      message: expect.any(String),
      version: null,
      findings: [expect.objectContaining({ severity: 'error', code: 'SCHEMA_INVALID' })],
    });
    const good = await ctx.http
      .put('/api/v1/config/dry')
      .set(as('editor'))
      .send({ config: componentConfigs.memory(), validate_only: true });
    expect(good.body).toEqual({ success: true, message: expect.any(String), version: null, findings: [] });
    expectError(await ctx.http.get('/api/v1/config/dry').set(as('viewer')), 404, 'COMPONENT_NOT_FOUND');
  });

  it('400 on bad input', async () => {
    const put = (name: string, body: unknown) =>
      ctx.http
        .put(`/api/v1/config/${name}`)
        .set(as('editor'))
        .send(body as object);
    expectError(await put('bad name!', { config: componentConfigs.memory() }), 400, 'VALIDATION_FAILED');
    expectError(await put('ok', { config: 'text' }), 400, 'VALIDATION_FAILED');
    expectError(await put('ok', {}), 400, 'VALIDATION_FAILED');
    expectError(await put('ok', { config: componentConfigs.memory(), typo: 1 }), 400, 'VALIDATION_FAILED');
    expectError(
      await put('ok', { config: componentConfigs.memory(), validate_only: 'yes' }),
      400,
      'VALIDATION_FAILED',
    );
    expectError(await ctx.http.get('/api/v1/config?type=gadget').set(as('viewer')), 400, 'VALIDATION_FAILED');
    expectError(
      await ctx.http.get('/api/v1/config/mem/history?limit=0').set(as('viewer')),
      400,
      'VALIDATION_FAILED',
    );
    // A name no component can have is a 400 on every route that names one, not a 404.
    for (const req of [
      ctx.http.get('/api/v1/config/bad%20name!').set(as('viewer')),
      ctx.http.get('/api/v1/config/bad%20name!/history').set(as('viewer')),
      ctx.http.delete('/api/v1/config/bad%20name!').set(as('editor')),
    ]) {
      const error = expectError(await req, 400, 'VALIDATION_FAILED');
      expect(error.details).toEqual([expect.objectContaining({ field: 'name' })]);
    }
    const badIfMatch = await ctx.http
      .delete('/api/v1/config/mem')
      .set(as('editor'))
      .set('If-Match', 'version one');
    expectError(badIfMatch, 400, 'INVALID_IF_MATCH');
  });

  it('401 without credentials, 403 for a viewer writing', async () => {
    expectError(await ctx.http.get('/api/v1/config'), 401, 'UNAUTHENTICATED');
    expectError(await ctx.http.get('/api/v1/config/x'), 401, 'UNAUTHENTICATED');
    expectError(await ctx.http.get('/api/v1/config/x/history'), 401, 'UNAUTHENTICATED');
    expectError(await ctx.http.put('/api/v1/config/x').send({ config: {} }), 401, 'UNAUTHENTICATED');
    expectError(await ctx.http.delete('/api/v1/config/x'), 401, 'UNAUTHENTICATED');
    expectError(
      await ctx.http
        .put('/api/v1/config/viewer-made')
        .set(as('viewer'))
        .send({ config: componentConfigs.memory() }),
      403,
      'FORBIDDEN',
    );
    await putComponent(ctx, tenant, 'keep-me', componentConfigs.memory());
    expectError(await ctx.http.delete('/api/v1/config/keep-me').set(as('viewer')), 403, 'FORBIDDEN');
  });

  it("404 for another tenant's component", async () => {
    await putComponent(ctx, other, 'theirs', componentConfigs.memory());
    expectError(await ctx.http.get('/api/v1/config/theirs').set(as('viewer')), 404, 'COMPONENT_NOT_FOUND');
    expectError(
      await ctx.http.get('/api/v1/config/theirs/history').set(as('viewer')),
      404,
      'COMPONENT_NOT_FOUND',
    );
    expectError(await ctx.http.delete('/api/v1/config/theirs').set(as('editor')), 404, 'COMPONENT_NOT_FOUND');
    const list = await ctx.http.get('/api/v1/config?limit=100').set(as('viewer'));
    expect(list.body.configs.map((c: { name: string }) => c.name)).not.toContain('theirs');
    // Same name in this tenant is a different component.
    await putComponent(ctx, tenant, 'theirs', componentConfigs.knowledge());
    const mine = await ctx.http.get('/api/v1/config/theirs').set(as('viewer'));
    expect(mine.body.type).toBe('knowledge');
  });

  it('412 on a stale If-Match', async () => {
    await putComponent(ctx, tenant, 'guarded', componentConfigs.memory());
    const stale = await ctx.http
      .put('/api/v1/config/guarded')
      .set(as('editor'))
      .set('If-Match', '"7"')
      .send({ config: componentConfigs.memory({ session_window: { max_messages: 5 } }) });
    expectError(stale, 412, 'VERSION_CONFLICT');
    expect(stale.headers.etag).toBe('"1"');
    expectError(
      await ctx.http.delete('/api/v1/config/guarded').set(as('editor')).set('If-Match', '"3"'),
      412,
      'VERSION_CONFLICT',
    );
    expectError(
      await ctx.http
        .put('/api/v1/config/not-there')
        .set(as('editor'))
        .set('If-Match', '"1"')
        .send({ config: componentConfigs.memory() }),
      412,
      'VERSION_CONFLICT',
    );
  });

  it('409 COMPONENT_IN_USE listing the agents that use it', async () => {
    await putComponent(ctx, tenant, 'shared-kb', componentConfigs.knowledge());
    const agent = await createAgent(ctx, tenant, {
      model: { provider: 'scripted', model: 'echo', replies: ['hi'] },
      tools: [],
      memory: null,
      knowledge: 'shared-kb',
    });
    const res = await ctx.http.delete('/api/v1/config/shared-kb').set(as('editor'));
    const error = expectError(res, 409, 'COMPONENT_IN_USE');
    expect(error.details).toEqual([expect.objectContaining({ agent_id: agent.id, agent_name: agent.name })]);
    await ctx.http.delete(`/api/v1/agents/${agent.id}`).set(as('owner')).expect(204);
    await ctx.http.delete('/api/v1/config/shared-kb').set(as('editor')).expect(204);
  });

  it('counts an agent as a user of a component its label-pinned version names, though its latest does not', async () => {
    await putComponent(ctx, tenant, 'pinned-kb', componentConfigs.knowledge());
    const agent = await createAgent(ctx, tenant, {
      model: { provider: 'scripted', model: 'echo', replies: ['hi'] },
      tools: [],
      memory: null,
      knowledge: 'pinned-kb',
    });
    await ctx.http
      .put(`/api/v1/agents/${agent.id}/labels/stable`)
      .set(as('owner'))
      .send({ version: 1 })
      .expect(200);
    await ctx.http
      .patch(`/api/v1/agents/${agent.id}`)
      .set(as('editor'))
      .send({ knowledge: null })
      .expect(200);

    const error = expectError(
      await ctx.http.delete('/api/v1/config/pinned-kb').set(as('editor')),
      409,
      'COMPONENT_IN_USE',
    );
    expect(error.details).toEqual([expect.objectContaining({ agent_id: agent.id })]);
    // An update names the agent too: what `stable` resolves to has changed.
    const updated = await ctx.http
      .put('/api/v1/config/pinned-kb')
      .set(as('editor'))
      .send({ config: componentConfigs.knowledge({ static_text: { documents: [{ content: 'new' }] } }) });
    expect(updated.status).toBe(200);
    const [event] = (await ctx.app
      .get(DataSource)
      .query(
        "SELECT payload FROM change_events WHERE tenant_id = $1 AND type = 'component.updated' ORDER BY id DESC LIMIT 1",
        [tenant.id],
      )) as Array<{ payload: { name: string; agents: string[] } }>;
    expect(event.payload).toEqual(expect.objectContaining({ name: 'pinned-kb', agents: [agent.id] }));

    // Once the label is gone, nothing resolves it any more.
    await ctx.http.delete(`/api/v1/agents/${agent.id}/labels/stable`).set(as('owner')).expect(204);
    await ctx.http.delete('/api/v1/config/pinned-kb').set(as('editor')).expect(204);
  });

  describe('secrets', () => {
    it('are never answered, logged, kept in history or audited in clear', async () => {
      const model = await ctx.http
        .put('/api/v1/config/secret-model')
        .set(as('editor'))
        .send({ config: componentConfigs.model({ api_key: API_KEY }) });
      expect(model.status).toBe(200);
      const tool = await ctx.http
        .put('/api/v1/config/secret-tool')
        .set(as('editor'))
        .send({
          config: componentConfigs.httpTool({
            http: {
              url: 'https://api.example.com/tickets',
              headers: { Authorization: { secret: HEADER_SECRET }, 'X-Team': 'support' },
            },
          }),
        });
      expect(tool.status).toBe(200);

      const readModel = await ctx.http.get('/api/v1/config/secret-model').set(as('viewer'));
      expect(readModel.body.config.api_key).toBe('****WXYZ');
      const readTool = await ctx.http.get('/api/v1/config/secret-tool').set(as('viewer'));
      expect(readTool.body.config.http.headers).toEqual({
        Authorization: { secret: '****7777' },
        'X-Team': 'support',
      });

      // Written back as read: the secret is kept, and nothing changed.
      const roundTrip = await ctx.http
        .put('/api/v1/config/secret-model')
        .set(as('editor'))
        .send({ config: readModel.body.config });
      expect(roundTrip.body).toEqual(expect.objectContaining({ success: true, version: 1 }));
      // A new key makes a new version, its mask shows the new last characters.
      await ctx.http
        .put('/api/v1/config/secret-model')
        .set(as('editor'))
        .send({ config: componentConfigs.model({ api_key: `${API_KEY}-rotated-9999` }) })
        .expect(200);
      const rotated = await ctx.http.get('/api/v1/config/secret-model').set(as('viewer'));
      expect(rotated.body).toEqual(expect.objectContaining({ version: 2 }));
      expect(rotated.body.config.api_key).toBe('****9999');
      // A mask where nothing is stored cannot be saved.
      const unknown = await ctx.http
        .put('/api/v1/config/masked-only')
        .set(as('editor'))
        .send({ config: componentConfigs.model({ api_key: '****WXYZ' }) });
      expect(expectError(unknown, 422, 'COMPONENT_CONFIG_INVALID').details).toEqual([
        expect.objectContaining({ code: 'SECRET_MASK_UNKNOWN', path: '/config/api_key' }),
      ]);

      const history = await ctx.http.get('/api/v1/config/secret-model/history').set(as('viewer'));
      const audit = await ctx.http.get('/api/v1/audit?resource_type=component&limit=100').set(as('owner'));
      expect(audit.status).toBe(200);
      expect(audit.body.items.length).toBeGreaterThan(0);
      const list = await ctx.http.get('/api/v1/config?limit=100').set(as('viewer'));
      for (const text of [
        JSON.stringify(history.body),
        JSON.stringify(audit.body),
        JSON.stringify(list.body),
        JSON.stringify(readTool.body),
        ctx.logs.text,
      ]) {
        expect(text).not.toContain(API_KEY);
        expect(text).not.toContain('super-secret-token');
      }
      expect(JSON.stringify(history.body)).toContain('****WXYZ');
    });
  });
});
