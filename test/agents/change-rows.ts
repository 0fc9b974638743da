import { Client } from 'pg';
import type { TestApp } from '../helpers/test-app';

export interface ChangeRow {
  id: string;
  type: string;
  resource_id: string;
  version: number | null;
  config_hash: string | null;
  payload: Record<string, unknown>;
}

export interface AuditRow {
  action: string;
  resource_id: string;
  actor: string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
}

/** Reads the test app's own database directly: the outbox and the audit log are not (all) served. */
export async function query<T>(ctx: TestApp, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: ctx.database.url });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}

export function changesOf(ctx: TestApp, resourceId: string): Promise<ChangeRow[]> {
  return query<ChangeRow>(
    ctx,
    'SELECT id, type, resource_id, version, config_hash, payload FROM change_events WHERE resource_id = $1 ORDER BY id',
    [resourceId],
  );
}

export function auditOf(ctx: TestApp, resourceId: string): Promise<AuditRow[]> {
  return query<AuditRow>(
    ctx,
    'SELECT action, resource_id, actor, before, after FROM audit_log WHERE resource_id = $1 ORDER BY created_at, id',
    [resourceId],
  );
}

/** Counts of outbox and audit rows in the whole database, to show a refused change wrote none. */
export async function rowCounts(ctx: TestApp): Promise<{ changes: number; audit: number; versions: number }> {
  const [row] = await query<{ changes: string; audit: string; versions: string }>(
    ctx,
    `SELECT (SELECT count(*) FROM change_events) AS changes, (SELECT count(*) FROM audit_log) AS audit,
            (SELECT count(*) FROM agent_versions) AS versions`,
  );
  return { changes: Number(row.changes), audit: Number(row.audit), versions: Number(row.versions) };
}
