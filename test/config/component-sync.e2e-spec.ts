import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigSync } from '../../src/sdk';
import { createAgent } from '../factories/agent.factory';
import { eventually } from '../factories/change.factory';
import { componentConfigs, putComponent } from '../factories/component.factory';
import { createApiKey, createTenant, TestTenant } from '../factories/tenant.factory';
import { startTestApp, TestApp } from '../helpers/test-app';

describe('a component change reaches execution services (ConfigSync)', () => {
  let ctx: TestApp;
  let tenant: TestTenant;
  let dir: string;
  let client: ConfigSync;

  beforeAll(async () => {
    ctx = await startTestApp();
    tenant = await createTenant(ctx);
    dir = mkdtempSync(join(tmpdir(), 'agentry-components-sync-'));
  });
  afterAll(async () => {
    await client?.stop();
    await ctx.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refreshes the agents a component change names, with the new hash', async () => {
    const agent = await createAgent(ctx, tenant);
    client = new ConfigSync({
      baseUrl: ctx.url,
      apiKey: (await createApiKey(ctx, tenant, 'service')).key,
      cacheFile: join(dir, 'cache.json'),
      backoff: { initialMs: 50, maxMs: 200 },
    });
    await client.start();
    const before = client.get(agent.name);
    expect((before?.config.model as { model: string }).model).toBe('gpt-4o');

    await putComponent(ctx, tenant, 'gpt4', componentConfigs.model({ model: 'gpt-4.1' }));
    await eventually(
      () => (client.get(agent.name)?.config.model as { model?: string } | undefined)?.model === 'gpt-4.1',
      'the component change to reach the client',
    );
    expect(client.get(agent.name)?.config_hash).not.toBe(before?.config_hash);
  });
});
