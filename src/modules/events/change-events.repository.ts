import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CHANGE_COLUMNS, ChangeEventRow } from '../../shared/events/change-message';
import { PRUNED_THROUGH } from '../../shared/events/outbox-relay.service';

/** Reads of the outbox as a change feed; every query is filtered by tenant. */
@Injectable()
export class ChangeEventsRepository {
  constructor(private readonly dataSource: DataSource) {}

  listAfter(tenantId: string, after: number, limit: number): Promise<ChangeEventRow[]> {
    return this.dataSource.query(
      `SELECT ${CHANGE_COLUMNS} FROM change_events WHERE tenant_id = $1 AND id > $2 ORDER BY id LIMIT $3`,
      [tenantId, after, limit],
    );
  }

  async latest(tenantId: string): Promise<{ id: number; at: Date } | null> {
    const rows = (await this.dataSource.query(
      'SELECT id, created_at FROM change_events WHERE tenant_id = $1 ORDER BY id DESC LIMIT 1',
      [tenantId],
    )) as Array<{ id: string; created_at: Date }>;
    return rows.length ? { id: Number(rows[0].id), at: rows[0].created_at } : null;
  }

  /** Highest change id of any tenant: where a new subscriber starts listening. */
  async highestId(): Promise<number> {
    const [row] = (await this.dataSource.query('SELECT COALESCE(MAX(id), 0) AS id FROM change_events')) as [
      { id: string },
    ];
    return Number(row.id);
  }

  /** Highest id pruned so far (global); resuming from below it may have lost events. */
  async prunedThrough(): Promise<number> {
    const rows = (await this.dataSource.query('SELECT value FROM outbox_state WHERE name = $1', [
      PRUNED_THROUGH,
    ])) as Array<{
      value: string;
    }>;
    return rows.length ? Number(rows[0].value) : 0;
  }
}
