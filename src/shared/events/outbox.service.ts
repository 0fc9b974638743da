import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { ChangeEventEntity } from './change-event.entity';
import { OUTBOX_TENANTS } from './outbox-commit.subscriber';

export interface ChangeEventInput {
  tenantId: string;
  type: string;
  resourceType: string;
  resourceId: string;
  version?: number | null;
  configHash?: string | null;
  payload?: Record<string, unknown>;
}

/**
 * Serialises outbox inserts from their insert to their commit, so that change ids become visible
 * in id order: a consumer that has read up to id N can never later see a smaller id appear.
 */
const OUTBOX_LOCK = 7_202_612;

@Injectable()
export class OutboxService {
  /**
   * Appends a change event inside the caller's transaction (call it last in the transaction: the
   * lock it takes is held until commit). Returns the change sequence id.
   */
  async append(manager: EntityManager, event: ChangeEventInput): Promise<string> {
    if (!manager.queryRunner?.isTransactionActive)
      throw new Error('outbox rows are written inside a transaction');
    await manager.query('SELECT pg_advisory_xact_lock($1)', [OUTBOX_LOCK]);
    const result = await manager
      .createQueryBuilder()
      .insert()
      .into(ChangeEventEntity)
      .values({
        tenantId: event.tenantId,
        type: event.type,
        resourceType: event.resourceType,
        resourceId: event.resourceId,
        version: event.version ?? null,
        configHash: event.configHash ?? null,
        payload: (event.payload ?? {}) as object,
      })
      .returning(['id'])
      .execute();
    const data = manager.queryRunner.data as Record<string, unknown>;
    ((data[OUTBOX_TENANTS] as Set<string> | undefined) ?? (data[OUTBOX_TENANTS] = new Set<string>())).add(
      event.tenantId,
    );
    return String((result.raw as Array<{ id: string }>)[0].id);
  }
}
