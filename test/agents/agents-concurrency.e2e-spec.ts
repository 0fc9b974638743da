import { agentBody, createAgent } from '../factories/agent.factory';
import { createTenant, TestTenant } from '../factories/tenant.factory';
import { expectError } from '../helpers/envelope';
import { startTestApp, TestApp } from '../helpers/test-app';
import { changesOf, query } from './change-rows';

const WRITERS = 20;

describe('agents under concurrent writers', () => {
  let ctx: TestApp;
  let tenant: TestTenant;
  let editor: string;

  beforeAll(async () => {
    ctx = await startTestApp();
    tenant = await createTenant(ctx, { tier: 'enterprise' });
    editor = `Bearer ${tenant.token('editor')}`;
  });
  afterAll(() => ctx.close());

  const patch = (id: string, prompt: string, ifMatch?: string) => {
    const req = ctx.http.patch(`/api/v1/agents/${id}`).set('Authorization', editor);
    if (ifMatch) req.set('If-Match', ifMatch);
    return req.send({ system_prompt: prompt });
  };

  it(`${WRITERS} updates with the same If-Match: exactly one succeeds, the others get 412`, async () => {
    const agent = await createAgent(ctx, tenant);
    const results = await Promise.all(
      Array.from({ length: WRITERS }, (_, i) => patch(agent.id, `writer ${i}`, '"1"')),
    );
    const ok = results.filter((res) => res.status === 200);
    const conflicts = results.filter((res) => res.status === 412);
    expect(ok).toHaveLength(1);
    expect(conflicts).toHaveLength(WRITERS - 1);
    for (const res of conflicts) {
      const error = expectError(res, 412, 'VERSION_CONFLICT');
      expect(error.details).toEqual([expect.objectContaining({ current_version: 2 })]);
    }
    expect(ok[0].body.version).toBe(2);

    const versions = await query<{ version: number; prompt: string }>(
      ctx,
      "SELECT version, config->>'system_prompt' AS prompt FROM agent_versions WHERE agent_id = $1 ORDER BY version",
      [agent.id],
    );
    expect(versions).toEqual([
      { version: 1, prompt: 'You are a helpful assistant' },
      { version: 2, prompt: ok[0].body.system_prompt },
    ]);
    expect((await changesOf(ctx, agent.id)).map((c) => c.type)).toEqual(['agent.created', 'agent.updated']);
  });

  it(`${WRITERS} updates without If-Match: ${WRITERS} new versions, none lost, none shared or skipped`, async () => {
    const agent = await createAgent(ctx, tenant);
    const prompts = Array.from({ length: WRITERS }, (_, i) => `writer ${i}`);
    const results = await Promise.all(prompts.map((prompt) => patch(agent.id, prompt)));
    expect(results.map((res) => res.status)).toEqual(prompts.map(() => 200));
    const returned = results.map((res) => res.body.version as number).sort((a, b) => a - b);
    expect(returned).toEqual(Array.from({ length: WRITERS }, (_, i) => i + 2));

    const versions = await query<{ version: number; prompt: string }>(
      ctx,
      "SELECT version, config->>'system_prompt' AS prompt FROM agent_versions WHERE agent_id = $1 ORDER BY version",
      [agent.id],
    );
    expect(versions.map((v) => v.version)).toEqual(Array.from({ length: WRITERS + 1 }, (_, i) => i + 1));
    expect(
      versions
        .slice(1)
        .map((v) => v.prompt)
        .sort(),
    ).toEqual([...prompts].sort());
    // Each response describes the version it wrote.
    for (const res of results) {
      expect(versions[res.body.version - 1].prompt).toBe(res.body.system_prompt);
    }
    // Change events appear in version order: the outbox id sequence agrees with the versions.
    const updates = (await changesOf(ctx, agent.id)).filter((c) => c.type === 'agent.updated');
    expect(updates.map((c) => c.version)).toEqual(Array.from({ length: WRITERS }, (_, i) => i + 2));
    const got = await ctx.http.get(`/api/v1/agents/${agent.id}`).set('Authorization', editor);
    expect(got.body.version).toBe(WRITERS + 1);
  });

  it('concurrent creates cannot pass max_agents', async () => {
    const small = await createTenant(ctx, { tier: 'free', limits: { max_agents: 5 } });
    const results = await Promise.all(
      Array.from({ length: 12 }, () =>
        ctx.http
          .post('/api/v1/agents')
          .set('Authorization', `Bearer ${small.token('editor')}`)
          .send(agentBody({ tools: [] })),
      ),
    );
    expect(results.filter((res) => res.status === 201)).toHaveLength(5);
    for (const res of results.filter((r) => r.status !== 201)) expectError(res, 422, 'TIER_LIMIT_EXCEEDED');
    const [row] = await query<{ count: string }>(
      ctx,
      'SELECT count(*) FROM agents WHERE tenant_id = $1 AND deleted_at IS NULL',
      [small.id],
    );
    expect(Number(row.count)).toBe(5);
  });

  it('concurrent creates and renames onto one name: one wins, the rest get 409', async () => {
    const creates = await Promise.all(
      Array.from({ length: 10 }, () =>
        ctx.http
          .post('/api/v1/agents')
          .set('Authorization', editor)
          .send(agentBody({ name: 'contested' })),
      ),
    );
    expect(creates.filter((res) => res.status === 201)).toHaveLength(1);
    for (const res of creates.filter((r) => r.status !== 201)) expectError(res, 409, 'AGENT_NAME_TAKEN');

    const others = await Promise.all(Array.from({ length: 6 }, () => createAgent(ctx, tenant)));
    const renames = await Promise.all(
      others.map((agent) =>
        ctx.http
          .patch(`/api/v1/agents/${agent.id}`)
          .set('Authorization', editor)
          .send({ name: 'renamed_once' }),
      ),
    );
    expect(renames.filter((res) => res.status === 200)).toHaveLength(1);
    for (const res of renames.filter((r) => r.status !== 200)) expectError(res, 409, 'AGENT_NAME_TAKEN');
  });
});
