import { Injectable } from '@nestjs/common';
import { DataSource, EntitySubscriberInterface, TransactionCommitEvent } from 'typeorm';
import { CommittedChanges } from './committed-changes';
import { OutboxRelay } from './outbox-relay.service';

/** Set on a transaction's query runner by OutboxService.append: the tenants it wrote events for. */
export const OUTBOX_TENANTS = 'agentry.outboxTenants';

/** The moment a transaction that wrote change events commits: local caches are told, the relay kicked. */
@Injectable()
export class OutboxCommitSubscriber implements EntitySubscriberInterface {
  constructor(
    dataSource: DataSource,
    private readonly relay: OutboxRelay,
    private readonly committed: CommittedChanges,
  ) {
    dataSource.subscribers.push(this);
  }

  afterTransactionCommit(event: TransactionCommitEvent): void {
    const data = event.queryRunner.data as Record<string, unknown>;
    const tenants = data[OUTBOX_TENANTS] as Set<string> | undefined;
    if (!tenants) return;
    delete data[OUTBOX_TENANTS];
    this.committed.emit(tenants);
    this.relay.kick();
  }
}
