import { Injectable } from '@nestjs/common';
import { DataSource, EntitySubscriberInterface, TransactionCommitEvent } from 'typeorm';
import { OutboxRelay } from './outbox-relay.service';

/** Set on a transaction's query runner by OutboxService.append. */
export const OUTBOX_WRITTEN = 'agentry.outboxWritten';

/** Kicks the relay the moment a transaction that wrote change events commits. */
@Injectable()
export class OutboxCommitSubscriber implements EntitySubscriberInterface {
  constructor(
    dataSource: DataSource,
    private readonly relay: OutboxRelay,
  ) {
    dataSource.subscribers.push(this);
  }

  afterTransactionCommit(event: TransactionCommitEvent): void {
    const data = event.queryRunner.data as Record<string, unknown>;
    if (!data[OUTBOX_WRITTEN]) return;
    data[OUTBOX_WRITTEN] = false;
    this.relay.kick();
  }
}
