import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { DataSource } from 'typeorm';
import { ApiKeysService } from '../../src/modules/api-keys/api-keys.service';
import { AuditService } from '../../src/modules/audit/audit.service';
import { OutboxService } from '../../src/shared/events/outbox.service';
import { commitChanges, eventually } from '../factories/change.factory';
import { createTenant } from '../factories/tenant.factory';
import { startTestApp, TestApp } from '../helpers/test-app';

/** The shared layers against the real database, without HTTP: what a feature relies on. */
describe('outbox, audit and the tenant-scoped repositories', () => {
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    a = await startTestApp();
    b = await startTestApp({ database: a.database, env: { REDIS_PREFIX: a.settings.redisPrefix } });
  });
  afterAll(async () => {
    await b.close();
    await a.close();
  });

  const count = async (sql: string, params: unknown[] = []) =>
    ((await a.app.get(DataSource).query(sql, params)) as [{ n: number }])[0].n;

  it('writes nothing, and publishes nothing, when the transaction rolls back', async () => {
    const tenant = await createTenant(a);
    const before = await count('SELECT count(*)::int AS n FROM change_events WHERE tenant_id = $1', [
      tenant.id,
    ]);
    await expect(
      a.app.get(DataSource).transaction(async (manager) => {
        await a.app.get(OutboxService).append(manager, {
          tenantId: tenant.id,
          type: 'agent.updated',
          resourceType: 'agent',
          resourceId: randomUUID(),
        });
        await a.app.get(AuditService).record(manager, tenant.id, {
          by: null,
          action: 'agent.updated',
          resourceType: 'agent',
          resourceId: 'x',
          after: { name: 'doomed' },
        });
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect(
      await count('SELECT count(*)::int AS n FROM change_events WHERE tenant_id = $1', [tenant.id]),
    ).toBe(before);
    expect(
      await count("SELECT count(*)::int AS n FROM audit_log WHERE tenant_id = $1 AND resource_id = 'x'", [
        tenant.id,
      ]),
    ).toBe(0);
  });

  it('refuses to append outside a transaction', async () => {
    const tenant = await createTenant(a);
    await expect(
      a.app.get(OutboxService).append(a.app.get(DataSource).manager, {
        tenantId: tenant.id,
        type: 'agent.updated',
        resourceType: 'agent',
        resourceId: randomUUID(),
      }),
    ).rejects.toThrow(/inside a transaction/);
  });

  it('publishes in id order, each event once, while two instances write and relay at the same time', async () => {
    const tenant = await createTenant(a);
    const subscriber = new Redis(process.env.AGENTRY_TEST_REDIS_URL as string);
    const received: number[] = [];
    subscriber.on('message', (_channel: string, raw: string) =>
      received.push((JSON.parse(raw) as { id: number }).id),
    );
    await subscriber.subscribe(`${a.settings.redisPrefix}changes:${tenant.id}`);
    try {
      const written = (
        await Promise.all([commitChanges(a, tenant.id, 40), commitChanges(b, tenant.id, 40)])
      ).flat();
      await eventually(() => received.length >= 80, 'all 80 events');
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(received).toEqual([...written].sort((x, y) => x - y));
    } finally {
      subscriber.disconnect();
    }
  });

  it('scopes every repository call to its tenant, and refuses a call without one', async () => {
    const one = await createTenant(a);
    const two = await createTenant(a);
    const keys = a.app.get(ApiKeysService);
    const dataSource = a.app.get(DataSource);
    const created = await dataSource.transaction((manager) =>
      keys.createIn(manager, one.id, { name: 'scoped', role: 'viewer', createdBy: 'system' }, null),
    );
    await expect(keys.get(one.id, created.id)).resolves.toEqual(
      expect.objectContaining({ id: created.id, name: 'scoped' }),
    );
    await expect(keys.get(two.id, created.id)).rejects.toMatchObject({
      code: 'API_KEY_NOT_FOUND',
      status: 404,
    });
    await expect(keys.get('', created.id)).rejects.toThrow(/without a tenant id/);
    const { items } = await keys.list(two.id, { limit: 100, offset: 0, include_revoked: true });
    expect(items.map((item) => item.id)).not.toContain(created.id);
  });
});
