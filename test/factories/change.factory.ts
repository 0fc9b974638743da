import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { OutboxService } from '../../src/shared/events/outbox.service';
import type { TestApp } from '../helpers/test-app';

/**
 * Commits change events through the app's own outbox, each in its own transaction, exactly as a
 * feature does; returns their ids in order.
 */
export async function commitChanges(
  ctx: TestApp,
  tenantId: string,
  count: number,
  type = 'agent.updated',
): Promise<number[]> {
  const dataSource = ctx.app.get(DataSource);
  const outbox = ctx.app.get(OutboxService);
  const ids: number[] = [];
  for (let i = 0; i < count; i++) {
    const id = await dataSource.transaction((manager) =>
      outbox.append(manager, {
        tenantId,
        type,
        resourceType: 'agent',
        resourceId: randomUUID(),
        version: i + 1,
        configHash: `sha256:${i}`,
        payload: { n: i },
      }),
    );
    ids.push(Number(id));
  }
  return ids;
}

/** Waits until `check` holds, polling; fails with `what` after `timeoutMs`. */
export async function eventually(
  check: () => Promise<boolean> | boolean,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Waits until the outbox relay has published every committed change (so that it may be pruned). */
export function allPublished(dataSource: DataSource): Promise<void> {
  return eventually(async () => {
    const [{ n }] = (await dataSource.query(
      'SELECT count(*)::int AS n FROM change_events WHERE published_at IS NULL',
    )) as [{ n: number }];
    return n === 0;
  }, 'all published');
}
