import { Client } from 'pg';
import { agentBody, AgentJson, createAgent } from '../factories/agent.factory';
import { createTenant } from '../factories/tenant.factory';
import { AppProcess, startAppProcessOn } from '../helpers/app-process';
import { startTestApp, TestApp } from '../helpers/test-app';
import { createTestDatabase, TestDatabase } from '../helpers/test-database';

/**
 * The built app (dist/src/main.js, `npm run build` first) as a child process, killed with SIGKILL
 * while agents are being created and updated: the database holds no partial version (every agent's
 * current version has its row, versions run 1..N) and no orphan outbox row (every agent change
 * event names a committed version, every version has its event), and every acknowledged write is
 * there. Runs killed mid-way belong to test/runs/instance-stops.e2e-spec.ts.
 */
describe('an app process killed with SIGKILL during writes', () => {
  let database: TestDatabase;
  let proc: AppProcess | undefined;
  let survivor: TestApp | undefined;

  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await proc?.kill('SIGKILL');
    await survivor?.close();
    await database.drop();
  });

  it('leaves no partial version and no orphan outbox row', async () => {
    const prefix = `agentry-test-appkill-${process.pid}:`;
    const started = await startAppProcessOn(database.url, prefix, { DATABASE_POOL_SIZE: '10' });
    proc = started.proc;
    const viaProc = { ...started.viaProc, database } as unknown as TestApp;
    const tenant = await createTenant(viaProc, { tier: 'enterprise' });
    const editor = `Bearer ${tenant.token('editor')}`;
    const agents: AgentJson[] = [];
    for (let i = 0; i < 4; i++) agents.push(await createAgent(viaProc, tenant));

    /** Versions the app acknowledged, per agent; and agents it acknowledged creating. */
    const acknowledged = new Map<string, number>();
    let stop = false;
    let writes = 0;
    const url = proc.url;
    const updater = async (agent: AgentJson) => {
      for (let i = 0; !stop; i++) {
        try {
          const res = await fetch(`${url}/api/v1/agents/${agent.id}`, {
            method: 'PATCH',
            headers: { Authorization: editor, 'Content-Type': 'application/json' },
            body: JSON.stringify({ description: `update ${i}`, system_prompt: `prompt ${i}` }),
          });
          if (res.status === 200) {
            acknowledged.set(agent.id, ((await res.json()) as { version: number }).version);
            writes++;
          }
        } catch {
          return; // the process is gone
        }
      }
    };
    const creator = async () => {
      while (!stop) {
        try {
          const res = await fetch(`${url}/api/v1/agents`, {
            method: 'POST',
            headers: { Authorization: editor, 'Content-Type': 'application/json' },
            body: JSON.stringify(agentBody()),
          });
          if (res.status === 201) acknowledged.set(((await res.json()) as { id: string }).id, 1);
        } catch {
          return;
        }
      }
    };
    const load = Promise.all([...agents.map(updater), creator(), creator()]);
    while (writes < 40) await new Promise((resolve) => setTimeout(resolve, 10));
    await proc.kill('SIGKILL');
    stop = true;
    await load;

    const db = new Client({ connectionString: database.url });
    await db.connect();
    try {
      const { rows: heads } = await db.query<{ id: string; current_version: number; versions: number[] }>(
        `SELECT a.id, a.current_version,
                coalesce(array_agg(v.version ORDER BY v.version) FILTER (WHERE v.version IS NOT NULL), '{}') AS versions
         FROM agents a LEFT JOIN agent_versions v ON v.agent_id = a.id
         WHERE a.tenant_id = $1 GROUP BY a.id, a.current_version`,
        [tenant.id],
      );
      expect(heads.length).toBeGreaterThanOrEqual(agents.length);
      for (const head of heads) {
        // Versions 1..N with N the current one: none missing, none beyond, none half-written.
        expect({ id: head.id, versions: head.versions }).toEqual({
          id: head.id,
          versions: Array.from({ length: head.current_version }, (_, i) => i + 1),
        });
      }
      const current = new Map(heads.map((h) => [h.id, h.current_version]));
      for (const [id, version] of acknowledged) {
        expect({ id, durable: (current.get(id) ?? 0) >= version }).toEqual({ id, durable: true });
      }

      // Outbox rows and versions are written in one transaction: each matches the other.
      const { rows: events } = await db.query<{ resource_id: string; version: number; type: string }>(
        `SELECT resource_id, version, type FROM change_events
         WHERE tenant_id = $1 AND type IN ('agent.created', 'agent.updated') ORDER BY id`,
        [tenant.id],
      );
      const eventKeys = events.map((e) => `${e.resource_id}@${e.version}`);
      const versionKeys = heads.flatMap((h) => h.versions.map((v) => `${h.id}@${v}`));
      expect(eventKeys.filter((key) => !versionKeys.includes(key))).toEqual([]);
      expect(versionKeys.filter((key) => !eventKeys.includes(key))).toEqual([]);
      expect(new Set(eventKeys).size).toBe(eventKeys.length);
    } finally {
      await db.end();
    }

    // Another instance on the same database serves every agent at its committed version.
    survivor = await startTestApp({ database, env: { REDIS_PREFIX: prefix } });
    for (const agent of agents) {
      const res = await survivor.http.get(`/api/v1/agents/${agent.id}`).set('Authorization', editor);
      expect(res.status).toBe(200);
      expect(res.body.version).toBeGreaterThanOrEqual(acknowledged.get(agent.id) ?? 1);
    }
  });
});
