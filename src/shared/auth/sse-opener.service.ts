import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import type { Request, Response } from 'express';
import { SseStream } from '../http/sse';
import { APP_SETTINGS } from '../settings/settings.module';
import type { AppSettings } from '../settings/settings';
import { presentedApiKey } from './credentials';
import { API_KEY_AUTHENTICATOR, ApiKeyAuthenticator, TENANT_RESOLVER, TenantResolver } from './auth.ports';
import type { Principal } from './principal';

interface Watched {
  sse: SseStream;
  principal: Principal;
  /** The API key the stream was opened with, for an API-key principal. */
  key?: string;
}

/**
 * Opens SSE responses (with the configured keep-alive) that last only as long as the request's
 * credentials. A stream is authorized once, when it opens, yet may stay open for days: without
 * this, a revoked key would go on receiving its tenant's changes. So every SSE_AUTH_RECHECK_MS each
 * open stream is checked again, as a new request would be, and ended when its JWT or API key has
 * expired, its key was revoked or its tenant deactivated; its client reconnects with
 * `Last-Event-ID` and is answered as any request (401, 403). A check that cannot reach the
 * database keeps the stream, as the key authenticator keeps serving a key it knew through an
 * outage. One timer serves every stream; keys and tenants come from their caches.
 */
@Injectable()
export class SseOpener implements OnModuleDestroy {
  private readonly logger = new Logger('SseAuth');
  private readonly watched = new Set<Watched>();
  private timer: NodeJS.Timeout | null = null;
  private checking = false;

  constructor(
    @Inject(API_KEY_AUTHENTICATOR) private readonly apiKeys: ApiKeyAuthenticator,
    @Inject(TENANT_RESOLVER) private readonly tenants: TenantResolver,
    @Inject(APP_SETTINGS) private readonly settings: AppSettings,
  ) {}

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  open(res: Response): SseStream {
    const sse = new SseStream(res, {
      keepAliveMs: this.settings.sseKeepAliveMs,
      maxBufferedBytes: this.settings.sseMaxBufferedBytes,
    });
    const req = res.req as Request & { user?: Principal };
    const principal = req.user;
    if (!principal) return sse;
    const watched: Watched = {
      sse,
      principal,
      ...(principal.kind === 'api_key' ? { key: presentedApiKey(req) } : {}),
    };
    this.watched.add(watched);
    sse.onClose(() => this.watched.delete(watched));
    this.timer ??= setInterval(() => void this.checkAll(), this.settings.sseAuthRecheckMs).unref();
    return sse;
  }

  private async checkAll(): Promise<void> {
    if (this.watched.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = null;
      return;
    }
    // A slow round (the database away) is not overlapped by the next.
    if (this.checking) return;
    this.checking = true;
    // Streams of one key or one tenant share a check per round: two hundred chats of a key whose
    // cache entry lapsed cost one read, not two hundred at once.
    const round = new Map<string, Promise<string | null>>();
    try {
      await Promise.all([...this.watched].map((watched) => this.check(watched, round)));
    } finally {
      this.checking = false;
    }
  }

  private async check({ sse, principal, key }: Watched, round: Map<string, Promise<string | null>>) {
    const expired = principal.expiresAt !== undefined && principal.expiresAt <= Date.now();
    const shared = `${key ?? ''}|${principal.tenant?.id ?? ''}`;
    let pending = round.get(shared);
    if (!pending) {
      pending = this.refusal(principal, key).catch((error: Error) => {
        this.logger.warn({ err: error.message }, 'stream credentials not checked; the stream stays open');
        return null;
      });
      round.set(shared, pending);
    }
    const reason = expired ? 'credentials expired' : await pending;
    if (reason) sse.end(reason);
  }

  /** Why the key or the tenant no longer hold, or null while they do. */
  private async refusal(principal: Principal, key: string | undefined): Promise<string | null> {
    if (key !== undefined && !(await this.apiKeys.authenticate(key))) return 'API key revoked';
    if (principal.tenant) {
      const tenant = await this.tenants.resolve(principal.tenant.id);
      if (!tenant?.active) return 'tenant deactivated';
    }
    return null;
  }
}
