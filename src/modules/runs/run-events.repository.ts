import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { TenantScopedRepository } from '../../shared/database/tenant-scoped.repository';
import { RunEventEntity } from './run-event.entity';
import { TERMINAL_STATUSES } from './run.entity';

/** An event as streamed and stored. */
export interface RunEvent {
  seq: number;
  type: string;
  timestamp: string;
  data: Record<string, unknown>;
  /** The seq it comes after, when that is not `seq - 1` (see RunEventEntity.followsSeq). */
  follows?: number;
}

/**
 * How far past its stored events a run's instance may stream: beyond it, its events reach streams
 * from the stored log only (RunEventLog). The first event written for a run whose instance died
 * is numbered this far past the stored ones, so no seq that instance streamed is used twice.
 */
export const MAX_UNSTORED_EVENTS = 10_000;

export function toRunEvent(
  row: Pick<RunEventEntity, 'seq' | 'type' | 'createdAt' | 'data' | 'followsSeq'>,
): RunEvent {
  const event: RunEvent = {
    seq: row.seq,
    type: row.type,
    timestamp: row.createdAt.toISOString(),
    data: row.data,
  };
  if (row.followsSeq !== null) event.follows = row.followsSeq;
  return event;
}

/** An event of some run, as the shared writer batches them. */
export interface RunEventRow {
  tenantId: string;
  runId: string;
  event: RunEvent;
  /** Told the event's seq once it is stored. */
  stored?: (seq: number) => void;
}

/**
 * Rows per INSERT. The rows travel as one JSON parameter, so the statement's text is always the
 * same; the bound keeps one statement of a long backlog (the database away for a while) modest.
 */
const ROWS_PER_STATEMENT = 5_000;

/**
 * Stores event rows of any runs, given as [{r: run, t: tenant, s: seq, y: type, d: data, at}]. A
 * row already stored (same run and seq) is skipped, so a batch whose answer was lost can be
 * written again.
 */
const INSERT_EVENTS = `INSERT INTO run_events (run_id, seq, tenant_id, type, data, created_at)
  SELECT (e->>'r')::uuid, (e->>'s')::int, (e->>'t')::uuid, e->>'y', e->'d', (e->>'at')::timestamptz
  FROM json_array_elements($1::json) AS e
  ON CONFLICT DO NOTHING`;

@Injectable()
export class RunEventsRepository extends TenantScopedRepository<RunEventEntity> {
  constructor(dataSource: DataSource) {
    super(dataSource, RunEventEntity);
  }

  /** Writes events of any runs, a statement per 5,000. */
  async insertRows(rows: RunEventRow[]): Promise<void> {
    for (let start = 0; start < rows.length; start += ROWS_PER_STATEMENT) {
      const json = JSON.stringify(
        rows.slice(start, start + ROWS_PER_STATEMENT).map(({ tenantId, runId, event }) => ({
          r: runId,
          t: tenantId,
          s: event.seq,
          y: event.type,
          d: event.data,
          at: event.timestamp,
        })),
      );
      await this.dataSource.query(INSERT_EVENTS, [json]);
    }
  }

  /**
   * Appends one event after the highest stored seq (for runs no instance is executing). For a run
   * whose instance died (`afterLost`), it goes MAX_UNSTORED_EVENTS further and names the stored
   * seq it follows: that instance may have streamed events it never stored.
   */
  async append(
    tenantId: string,
    runId: string,
    type: string,
    data: Record<string, unknown>,
    manager?: EntityManager,
    afterLost = false,
  ): Promise<RunEvent> {
    const rows = (await (manager ?? this.dataSource.manager).query(
      `INSERT INTO run_events (run_id, seq, tenant_id, type, data, follows_seq)
       SELECT $1, COALESCE(MAX(seq), 0) + 1 + $5, $2, $3, $4::json,
              CASE WHEN $5 > 0 THEN COALESCE(MAX(seq), 0) END
       FROM run_events WHERE run_id = $1
       RETURNING seq, created_at, follows_seq`,
      [runId, tenantId, type, JSON.stringify(data), afterLost ? MAX_UNSTORED_EVENTS : 0],
    )) as Array<{ seq: number; created_at: Date; follows_seq: number | null }>;
    return toRunEvent({
      seq: rows[0].seq,
      type,
      createdAt: new Date(rows[0].created_at),
      data,
      followsSeq: rows[0].follows_seq,
    });
  }

  async maxSeq(tenantId: string, runId: string, manager?: EntityManager): Promise<number> {
    const row = await this.scopedQuery(tenantId, 'e', manager)
      .andWhere('e.run_id = :runId', { runId })
      .select('MAX(e.seq)', 'max')
      .getRawOne<{ max: number | null }>();
    return Number(row?.max ?? 0);
  }

  /** The run's last stored event, or null before its first. */
  async last(tenantId: string, runId: string): Promise<RunEvent | null> {
    const row = await this.scopedQuery(tenantId, 'e')
      .andWhere('e.run_id = :runId', { runId })
      .orderBy('e.seq', 'DESC')
      .getOne();
    return row ? toRunEvent(row) : null;
  }

  /** Whether the run has ended (completed, failed or cancelled) now. */
  async runEnded(tenantId: string, runId: string): Promise<boolean> {
    const rows = (await this.dataSource.query(
      'SELECT 1 FROM runs WHERE tenant_id = $1 AND id = $2 AND status = ANY($3)',
      [tenantId, runId, TERMINAL_STATUSES],
    )) as unknown[];
    return rows.length > 0;
  }

  async after(tenantId: string, runId: string, afterSeq: number, limit: number): Promise<RunEvent[]> {
    const rows = await this.scopedQuery(tenantId, 'e')
      .andWhere('e.run_id = :runId AND e.seq > :afterSeq', { runId, afterSeq })
      .orderBy('e.seq', 'ASC')
      .take(limit)
      .getMany();
    return rows.map(toRunEvent);
  }

  async page(tenantId: string, runId: string, offset: number, limit: number): Promise<[RunEvent[], number]> {
    const [rows, total] = await this.findAndCountScoped(tenantId, {
      where: { runId },
      order: { seq: 'ASC' },
      skip: offset,
      take: limit,
    });
    return [rows.map(toRunEvent), total];
  }
}
