import { ExecutionContext, Injectable } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import type { Request } from 'express';
import type { Principal } from '../auth/principal';
import type { AppSettings } from '../settings/settings';

type AuthenticatedRequest = Request & { user?: Principal };

/**
 * Counts requests per tenant (per IP when there is no principal) against the tenant's tier limit.
 * Runs after the auth guard, which has put the principal on the request.
 */
@Injectable()
export class TenantThrottlerGuard extends ThrottlerGuard {
  static limitFor(context: ExecutionContext, settings: AppSettings): number {
    const principal = context.switchToHttp().getRequest<AuthenticatedRequest>().user;
    return principal?.tenant?.limits.requests_per_minute ?? settings.anonymousRateLimit;
  }

  protected override async getTracker(req: Record<string, unknown>): Promise<string> {
    const request = req as unknown as AuthenticatedRequest;
    const principal = request.user;
    if (principal?.tenant) return `tenant:${principal.tenant.id}`;
    if (principal) return `principal:${principal.kind}:${principal.id}`;
    return `ip:${request.ip ?? 'unknown'}`;
  }

  /** One key per tracker, not per route: the limit is per tenant and minute across the API. */
  protected override generateKey(_context: ExecutionContext, tracker: string, name: string): string {
    return `${name}:${tracker}`;
  }
}
