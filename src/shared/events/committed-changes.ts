import { Injectable } from '@nestjs/common';
import { EventEmitter } from 'node:events';

/**
 * Tells this instance, synchronously after commit, which tenants a transaction changed, so local
 * caches drop stale entries before the response goes out. Other instances learn it from the bus.
 */
@Injectable()
export class CommittedChanges {
  private readonly emitter = new EventEmitter().setMaxListeners(0);

  emit(tenantIds: ReadonlySet<string>): void {
    this.emitter.emit('commit', tenantIds);
  }

  onCommit(listener: (tenantIds: ReadonlySet<string>) => void): () => void {
    this.emitter.on('commit', listener);
    return () => this.emitter.off('commit', listener);
  }
}
