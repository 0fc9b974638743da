import { expectError } from '../helpers/envelope';
import { LogCapture } from '../helpers/log-capture';
import { startTestApp, TestApp } from '../helpers/test-app';
import { DataSource } from 'typeorm';
import { createEmptyDatabase, createTestDatabase, TestDatabase } from '../helpers/test-database';
import { platformToken } from '../helpers/tokens';

/** The log entries that announce a bootstrap key. */
function bootstrapAnnouncements(logs: LogCapture): Array<Record<string, unknown>> {
  return logs.entries().filter((entry) => String(entry.msg ?? '').includes('AGENTRY_API_KEY='));
}

async function tenantsOf(app: TestApp) {
  const res = await app.http
    .get('/api/v1/tenants?limit=100')
    .set('Authorization', `Bearer ${platformToken()}`);
  expect(res.status).toBe(200);
  return res.body as { total: number; items: Array<{ slug: string; tier: string; id: string }> };
}

async function keysOf(app: TestApp, key: string) {
  const res = await app.http.get('/api/v1/api-keys?include_revoked=true&limit=100').set('X-API-Key', key);
  expect(res.status).toBe(200);
  return res.body as { total: number; items: Array<Record<string, unknown>> };
}

describe('first-start bootstrap', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(() => database.drop());

  it('prints an owner key of tenant "default" once, then never again across restarts', async () => {
    const first = await startTestApp({ database });
    let key: string;
    try {
      key = first.bootstrapKey;
      expect(key).toMatch(/^agt_[A-Za-z0-9_-]{43}$/);
      const announced = bootstrapAnnouncements(first.logs);
      expect(announced).toHaveLength(1);
      expect(announced[0]).toEqual(expect.objectContaining({ context: 'Bootstrap', level: 30 }));
      expect(announced[0].msg).toMatch(/Swagger UI/);
      expect(announced[0].msg).toMatch(/X-API-Key/);

      // The key is the owner of tenant "default".
      const tenants = await tenantsOf(first);
      expect(tenants.total).toBe(1);
      expect(tenants.items[0]).toEqual(expect.objectContaining({ slug: 'default', tier: 'pro' }));
      const keys = await keysOf(first, key);
      expect(keys.items).toEqual([
        expect.objectContaining({
          role: 'owner',
          name: 'bootstrap owner key',
          created_by: 'system',
          prefix: key.slice(0, 12),
        }),
      ]);
      // Owners may create owner keys, and read the audit log of their first start.
      const created = await first.http
        .post('/api/v1/api-keys')
        .set('X-API-Key', key)
        .send({ name: 'second', role: 'owner' });
      expect(created.status).toBe(201);
      const audit = await first.http.get('/api/v1/audit?actor=system').set('X-API-Key', key);
      expect(audit.body.items.map((entry: { action: string }) => entry.action).sort()).toEqual([
        'api_key.created',
        'tenant.created',
      ]);
    } finally {
      await first.close();
    }

    // Restart on the same data: no key printed, no second tenant, and the first key still works.
    const restarted = await startTestApp({ database });
    try {
      expect(restarted.bootstrapKey).toBe('');
      expect(bootstrapAnnouncements(restarted.logs)).toEqual([]);
      expect(restarted.logs.text).not.toContain('agt_');
      const tenants = await tenantsOf(restarted);
      expect(tenants.items.map((tenant) => tenant.slug)).toEqual(['default']);
      expect((await keysOf(restarted, key)).total).toBe(2);
    } finally {
      await restarted.close();
    }
  });

  it('happens exactly once when two instances start together on an empty database', async () => {
    const empty = await createTestDatabase();
    try {
      const apps = await Promise.all([startTestApp({ database: empty }), startTestApp({ database: empty })]);
      try {
        // Where each instance's startup lines land is up to the logger; across both, one announcement.
        const announced = apps.flatMap((app) => bootstrapAnnouncements(app.logs));
        expect(announced).toHaveLength(1);
        const key = /AGENTRY_API_KEY=(agt_[\w-]+)/.exec(String(announced[0].msg))?.[1] as string;

        for (const app of apps) {
          const tenants = await tenantsOf(app);
          expect(tenants.items.map((tenant) => tenant.slug)).toEqual(['default']);
          expect((await keysOf(app, key)).total).toBe(1);
        }
        // And nothing else got in: an unknown key is still refused.
        expectError(
          await apps[1].http.get('/api/v1/api-keys').set('X-API-Key', `agt_${'C'.repeat(43)}`),
          401,
          'UNAUTHENTICATED',
        );
      } finally {
        await Promise.all(apps.map((app) => app.close()));
      }
    } finally {
      await empty.drop();
    }
  });

  it('migrates a database without tables once when three instances start on it together', async () => {
    const bare = await createEmptyDatabase();
    try {
      const apps = await Promise.all([1, 2, 3].map(() => startTestApp({ database: bare })));
      try {
        const rows = (await apps[0].app
          .get(DataSource)
          .query('SELECT name, count(*)::int AS n FROM migrations GROUP BY name')) as Array<{
          name: string;
          n: number;
        }>;
        expect(rows.length).toBe(apps[0].app.get(DataSource).migrations.length);
        expect(rows.filter((row) => row.n !== 1)).toEqual([]);
        expect(apps.flatMap((app) => bootstrapAnnouncements(app.logs))).toHaveLength(1);
        for (const app of apps) expect((await tenantsOf(app)).total).toBe(1);
      } finally {
        await Promise.all(apps.map((app) => app.close()));
      }
    } finally {
      await bare.drop();
    }
  });
});
