import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import type { Response } from 'express';
import { ChangeMessage, tenantChangesChannel, toChangeMessage } from '../../shared/events/change-message';
import { MessageBus } from '../../shared/events/message-bus';
import { SseOpener } from '../../shared/auth/sse-opener.service';
import { ChangeEventsRepository } from './change-events.repository';
import {
  ChangeListResponseDto,
  ConfigVersionResponseDto,
  toChangeEventResponse,
} from './dto/change-event-response.dto';
import { eventsError } from './events.errors';

const REPLAY_PAGE = 500;
const FETCH_PAGE = 1000;
/** Live delivery rests on bus messages; this catches up if one was lost (e.g. while Redis was away). */
const SAFETY_POLL_MS = 2_000;

type Listener = (messages: ChangeMessage[]) => void;

/** One per tenant with open streams on this instance: reads new rows once and hands them to every stream. */
interface TenantFeed {
  cursor: number;
  listeners: Set<Listener>;
  fetching: boolean;
  dirty: boolean;
  unsubscribe: () => void;
  poll: NodeJS.Timeout;
}

/**
 * The change feed of a tenant: paged reads and live streams. A stream replays stored events after
 * its position, then follows live ones. Bus messages only say "there is something new"; the
 * events themselves are read from the database in id order, so a stream has no gap and no
 * duplicate even when a bus message is lost or doubled.
 */
@Injectable()
export class ChangeFeedService implements OnModuleDestroy {
  private readonly logger = new Logger('ChangeFeed');
  private readonly feeds = new Map<string, Promise<TenantFeed>>();

  constructor(
    private readonly changes: ChangeEventsRepository,
    private readonly bus: MessageBus,
    private readonly opener: SseOpener,
  ) {}

  onModuleDestroy(): void {
    for (const pending of this.feeds.values()) {
      void pending.then((feed) => {
        feed.unsubscribe();
        clearInterval(feed.poll);
      });
    }
    this.feeds.clear();
  }

  async list(tenantId: string, after: number, limit: number): Promise<ChangeListResponseDto> {
    await this.assertRetained(after);
    const rows = await this.changes.listAfter(tenantId, after, limit);
    const items = rows.map((row) => toChangeEventResponse(toChangeMessage(row)));
    return { items, next_after: items.length ? items[items.length - 1].id : after };
  }

  /**
   * The tenant's position in the change sequence: its latest change, or the pruned mark when that is
   * higher. Ids are global, so other tenants' changes may be pruned past this tenant's latest; the
   * tenant has no change between the two, and resuming from the higher one is never refused.
   */
  async version(tenantId: string): Promise<ConfigVersionResponseDto> {
    const [latest, pruned] = await Promise.all([this.changes.latest(tenantId), this.changes.prunedThrough()]);
    return { version: Math.max(latest?.id ?? 0, pruned), updated_at: latest?.at.toISOString() ?? null };
  }

  /** 410 when events after `after` may already have been pruned: the consumer must re-pull. */
  async assertRetained(after: number): Promise<void> {
    const pruned = await this.changes.prunedThrough();
    if (after < pruned) {
      throw eventsError(
        'CHANGES_PRUNED',
        `Changes after ${after} are no longer kept (pruned through ${pruned}); pull the full state and resume from its version`,
        [
          {
            field: 'after',
            code: 'pruned',
            message: `resume from ${pruned} or later`,
            pruned_through: pruned,
          },
        ],
      );
    }
  }

  /**
   * Checks the position (so a 410 can still be an ordinary error response), then opens the SSE
   * response, replays what is stored after `after` and follows live changes until the client goes.
   */
  async stream(tenantId: string, after: number, res: Response): Promise<void> {
    await this.assertRetained(after);
    const sse = this.opener.open(res);
    let last = after;
    let live = false;
    const pending: ChangeMessage[] = [];
    const send = (messages: ChangeMessage[]) => {
      for (const message of messages) {
        if (message.id <= last) continue;
        sse.send(message.id, message.type, message);
        last = message.id;
      }
    };
    // Listen before replaying: whatever commits during the replay is then caught by one or the other.
    const detach = await this.attach(tenantId, (messages) =>
      live ? send(messages) : pending.push(...messages),
    );
    sse.onClose(detach);
    try {
      for (;;) {
        const rows = await this.changes.listAfter(tenantId, last, REPLAY_PAGE);
        for (const row of rows) {
          send([toChangeMessage(row)]);
          // The next change once the client has taken these: a slow client is replayed at its own pace.
          if (sse.backedUp) await sse.writable();
        }
        if (rows.length < REPLAY_PAGE || sse.isClosed) break;
      }
      live = true;
      send(pending.splice(0));
    } catch (error) {
      this.logger.warn({ err: (error as Error).message }, 'change stream replay failed; closing it');
      sse.close();
    }
  }

  private async attach(tenantId: string, listener: Listener): Promise<() => void> {
    let pending = this.feeds.get(tenantId);
    if (!pending) {
      pending = this.openFeed(tenantId);
      this.feeds.set(tenantId, pending);
      pending.catch(() => this.feeds.delete(tenantId));
    }
    const feed = await pending;
    feed.listeners.add(listener);
    return () => {
      feed.listeners.delete(listener);
      if (feed.listeners.size > 0 || this.feeds.get(tenantId) !== pending) return;
      this.feeds.delete(tenantId);
      feed.unsubscribe();
      clearInterval(feed.poll);
    };
  }

  private async openFeed(tenantId: string): Promise<TenantFeed> {
    const feed: TenantFeed = {
      cursor: await this.changes.highestId(),
      listeners: new Set(),
      fetching: false,
      dirty: false,
      unsubscribe: () => undefined,
      poll: setInterval(() => void this.fetch(tenantId, feed), SAFETY_POLL_MS),
    };
    feed.poll.unref();
    feed.unsubscribe = this.bus.subscribe(
      tenantChangesChannel(tenantId),
      () => void this.fetch(tenantId, feed),
    );
    return feed;
  }

  private async fetch(tenantId: string, feed: TenantFeed): Promise<void> {
    if (feed.fetching) {
      feed.dirty = true;
      return;
    }
    feed.fetching = true;
    try {
      let rows;
      do {
        feed.dirty = false;
        rows = await this.changes.listAfter(tenantId, feed.cursor, FETCH_PAGE);
        if (rows.length === 0) continue;
        const messages = rows.map(toChangeMessage);
        feed.cursor = messages[messages.length - 1].id;
        for (const listener of feed.listeners) listener(messages);
      } while (feed.dirty || rows.length === FETCH_PAGE);
    } catch (error) {
      this.logger.warn({ err: (error as Error).message }, 'change feed read failed; the next poll retries');
    } finally {
      feed.fetching = false;
    }
  }
}
