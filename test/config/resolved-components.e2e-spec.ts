import { createAgent } from '../factories/agent.factory';
import { componentConfigs, putComponent } from '../factories/component.factory';
import { createTenant, TestTenant } from '../factories/tenant.factory';
import { startTestApp, TestApp } from '../helpers/test-app';

const API_KEY = 'sk-proj-resolvedsecretvalue0123456789ABCD';
const TOKEN = 'Bearer header-secret-for-tools-5555';

describe('resolved configs expand components', () => {
  let ctx: TestApp;
  let tenant: TestTenant;
  let maskedKey: string;
  let secretKey: string;
  let agent: { id: string; name: string };

  const createServiceKey = async (allowSecrets: boolean) => {
    const res = await ctx.http
      .post('/api/v1/api-keys')
      .set('Authorization', `Bearer ${tenant.token('owner')}`)
      .send({ name: `svc-${String(allowSecrets)}`, role: 'service', allow_secrets: allowSecrets });
    expect(res.status).toBe(201);
    return res.body.key as string;
  };
  const read = (key: string) =>
    ctx.http.get(`/internal/v1/agents/${agent.name}/config`).set('X-API-Key', key);

  beforeAll(async () => {
    ctx = await startTestApp();
    tenant = await createTenant(ctx, { components: false });
    maskedKey = await createServiceKey(false);
    secretKey = await createServiceKey(true);
    await putComponent(ctx, tenant, 'gpt4', componentConfigs.model({ api_key: API_KEY }));
    await putComponent(
      ctx,
      tenant,
      'search',
      componentConfigs.httpTool({
        http: {
          url: 'https://search.example.com/q',
          headers: { Authorization: { secret: TOKEN }, 'X-A': 'b' },
        },
      }),
    );
    await putComponent(ctx, tenant, 'session_memory', componentConfigs.memory());
    await putComponent(ctx, tenant, 'product_docs', componentConfigs.knowledge());
    agent = await createAgent(ctx, tenant, { tools: ['search', 'calculator'] });
  });
  afterAll(() => ctx.close());

  it('expands model, tools, memory and knowledge; secrets masked unless the key is allowed them', async () => {
    const masked = await read(maskedKey);
    expect(masked.status).toBe(200);
    const config = masked.body.config;
    expect(config.model).toEqual({
      name: 'gpt4',
      provider: 'openai',
      model: 'gpt-4o-mini',
      base_url: 'https://api.openai.com/v1',
      temperature: 0.2,
      api_key: '****ABCD',
    });
    expect(config.tools).toEqual([
      expect.objectContaining({
        name: 'search',
        description: 'Searches the knowledge base',
        http: {
          url: 'https://search.example.com/q',
          headers: { Authorization: { secret: '****5555' }, 'X-A': 'b' },
        },
      }),
      // Not a component: stays a name (a built-in).
      'calculator',
    ]);
    expect(config.memory).toEqual({ name: 'session_memory', session_window: { max_messages: 20 } });
    expect(config.knowledge).toEqual(
      expect.objectContaining({ name: 'product_docs', static_text: expect.any(Object) }),
    );

    for (let i = 0; i < 2; i++) {
      // Twice: the second answer of each comes from the cache (and the fast path).
      const revealed = await read(secretKey);
      expect(revealed.body.config.model.api_key).toBe(API_KEY);
      expect(revealed.body.config.tools[0].http.headers).toEqual({ Authorization: TOKEN, 'X-A': 'b' });
      expect(revealed.body.config_hash).toBe(masked.body.config_hash);
      const again = await read(maskedKey);
      expect(JSON.stringify(again.body)).not.toContain(API_KEY);
      expect(again.body.config.model.api_key).toBe('****ABCD');
    }
    const all = await ctx.http.get('/internal/v1/config/all').set('X-API-Key', maskedKey);
    expect(JSON.stringify(all.body)).not.toContain(API_KEY);
    const allSecret = await ctx.http.get('/internal/v1/config/all').set('X-API-Key', secretKey);
    expect(JSON.stringify(allSecret.body)).toContain(API_KEY);
    // A JWT user reading internal routes never gets secrets either (it has no internal:read): 403.
    expect(
      (
        await ctx.http
          .get(`/internal/v1/agents/${agent.name}/config`)
          .set('Authorization', `Bearer ${tenant.token('owner')}`)
      ).status,
    ).toBe(403);
    expect(ctx.logs.text).not.toContain(API_KEY);
    expect(ctx.logs.text).not.toContain('header-secret-for-tools');
  });

  it("keeps the tenant's data shaped like a sealed secret as it is, in every view", async () => {
    const lookalike = { $secret: 'v1:made-up', last4: 'WXYZ' };
    const parameters = {
      type: 'object',
      properties: { token: { type: 'object', default: lookalike } },
    };
    await putComponent(ctx, tenant, 'lookalike', componentConfigs.httpTool({ parameters }));
    const own = await createAgent(ctx, tenant, { tools: ['lookalike'] });
    const component = await ctx.http
      .get('/api/v1/config/lookalike')
      .set('Authorization', `Bearer ${tenant.token('viewer')}`);
    expect(component.status).toBe(200);
    expect(component.body.config.parameters).toEqual(parameters);
    for (const key of [maskedKey, secretKey]) {
      const one = await ctx.http.get(`/internal/v1/agents/${own.id}/config`).set('X-API-Key', key);
      expect(one.status).toBe(200);
      expect(one.body.config.tools[0].parameters).toEqual(parameters);
      const all = await ctx.http.get('/internal/v1/config/all').set('X-API-Key', key);
      expect(all.status).toBe(200);
      const listed = (
        all.body.agents as Array<{ agent_id: string; config: { tools: Array<{ parameters: unknown }> } }>
      ).find((entry) => entry.agent_id === own.id);
      expect(listed?.config.tools[0].parameters).toEqual(parameters);
    }
  });

  it('a disabled component is not expanded: it stays a name, out of service', async () => {
    await putComponent(ctx, tenant, 'session_memory', componentConfigs.memory(), { enabled: false });
    const off = await read(maskedKey);
    expect(off.body.config.memory).toBe('session_memory');
    await putComponent(ctx, tenant, 'session_memory', componentConfigs.memory(), { enabled: true });
    const on = await read(maskedKey);
    expect(on.body.config.memory).toEqual({ name: 'session_memory', session_window: { max_messages: 20 } });
    expect(on.body.config_hash).not.toBe(off.body.config_hash);
  });

  it('a component update changes the hash of each agent using it and emits an event naming them', async () => {
    const second = await createAgent(ctx, tenant, { tools: ['search'] });
    const bystander = await createAgent(ctx, tenant, {
      model: { provider: 'scripted', model: 'x', replies: ['hi'] },
      tools: [],
      memory: null,
      knowledge: null,
    });
    const readOf = (name: string) =>
      ctx.http.get(`/internal/v1/agents/${name}/config`).set('X-API-Key', maskedKey);
    const before = await Promise.all([agent.name, second.name, bystander.name].map(readOf));
    const { body: head } = await ctx.http.get('/internal/v1/config/version').set('X-API-Key', maskedKey);

    await putComponent(
      ctx,
      tenant,
      'search',
      componentConfigs.httpTool({
        description: 'Searches the new index',
        http: {
          url: 'https://search.example.com/q',
          headers: { Authorization: { secret: TOKEN }, 'X-A': 'b' },
        },
      }),
    );

    const after = await Promise.all([agent.name, second.name, bystander.name].map(readOf));
    expect(after[0].body.config_hash).not.toBe(before[0].body.config_hash);
    expect(after[1].body.config_hash).not.toBe(before[1].body.config_hash);
    expect(after[2].body.config_hash).toBe(before[2].body.config_hash);
    expect(after[0].body.config.tools[0].description).toBe('Searches the new index');
    // The agent's own version did not change: only its resolved config did.
    expect(after[0].body.version).toBe(before[0].body.version);

    const changes = await ctx.http
      .get(`/internal/v1/changes?after=${head.version}`)
      .set('X-API-Key', maskedKey);
    expect(changes.status).toBe(200);
    const event = changes.body.items.find((item: { type: string }) => item.type === 'component.updated');
    expect(event).toEqual(expect.objectContaining({ type: 'component.updated', version: 2 }));
    expect([...event.payload.agents].sort()).toEqual([agent.id, second.id].sort());
    expect(event.payload).toEqual(expect.objectContaining({ name: 'search', component_type: 'tool' }));

    // A secret rotation alone changes the hash too.
    await putComponent(ctx, tenant, 'gpt4', componentConfigs.model({ api_key: `${API_KEY}-rotated` }));
    const rotated = await readOf(agent.name);
    expect(rotated.body.config_hash).not.toBe(after[0].body.config_hash);
  });
});
