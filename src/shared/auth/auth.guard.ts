import { CanActivate, ExecutionContext, Inject, Injectable, Logger } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { ThrottlerStorage } from '@nestjs/throttler';
import type { Request } from 'express';
import { AppError } from '../errors/app-error';
import { commonError } from '../errors/common.errors';
import { RATE_LIMIT_STORAGE } from '../rate-limit/rate-limit.module';
import { APP_SETTINGS } from '../settings/settings.module';
import type { AppSettings } from '../settings/settings';
import { API_KEY_AUTHENTICATOR, ApiKeyAuthenticator, TENANT_RESOLVER, TenantResolver } from './auth.ports';
import { PERMISSION_KEY, PUBLIC_KEY } from './auth.decorators';
import { presentedApiKey } from './credentials';
import { JwtAuthGuard } from './jwt-auth.guard';
import { Permission, permissionsFor, TENANTLESS_PERMISSIONS } from './permissions';
import type { Principal, TenantSnapshot } from './principal';

type AuthRequest = Request & { user?: Principal };

/**
 * The global guard: every route either is `@Public()` or declares a permission; anything else is
 * refused. Authenticates an API key (`X-API-Key`, or a Bearer value starting with `agt_`) or a
 * JWT, then checks the tenant and the permission.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  private readonly logger = new Logger('Auth');

  constructor(
    private readonly reflector: Reflector,
    private readonly jwtGuard: JwtAuthGuard,
    @Inject(API_KEY_AUTHENTICATOR) private readonly apiKeys: ApiKeyAuthenticator,
    @Inject(TENANT_RESOLVER) private readonly tenants: TenantResolver,
    @Inject(RATE_LIMIT_STORAGE) private readonly counters: ThrottlerStorage,
    @Inject(APP_SETTINGS) private readonly settings: AppSettings,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;
    const permission = this.reflector.getAllAndOverride<Permission | undefined>(PERMISSION_KEY, targets);
    const req = context.switchToHttp().getRequest<AuthRequest>();
    if (!permission) {
      this.logger.error(`route ${req.method} ${req.route?.path ?? req.path} declares no permission; refused`);
      throw commonError('FORBIDDEN', 'This route declares no permission and is refused');
    }

    const principal = await this.authenticateCounted(context, req);
    if (principal.crossTenant && !principal.tenant && permission === Permission.InternalRead) {
      principal.tenant = await this.tenantFromHeader(req);
    }
    if (typeof req.id === 'string') principal.requestId = req.id;
    req.user = principal;

    // A platform route does not act inside the tenant a platform operator's token also names.
    const platformRoute = principal.platform && TENANTLESS_PERMISSIONS.has(permission);
    if (principal.tenant && !principal.tenant.active && !platformRoute) {
      throw commonError('TENANT_INACTIVE', `Tenant ${principal.tenant.slug} is deactivated`);
    }
    if (!principal.tenant && !TENANTLESS_PERMISSIONS.has(permission)) {
      throw commonError('TENANT_REQUIRED', 'This route acts inside a tenant; the credentials name none');
    }
    if (!principal.permissions.has(permission)) {
      const who = principal.platform ? 'platform operator' : `roles [${principal.roles.join(', ')}]`;
      throw commonError('FORBIDDEN', `Permission ${permission} is required; ${who} do not grant it`, [
        { code: 'missingPermission', message: `requires ${permission}`, permission },
      ]);
    }
    return true;
  }

  /** The tenant a platform service key reads, named by `X-Tenant-Id` (id or slug). */
  private async tenantFromHeader(req: AuthRequest): Promise<TenantSnapshot> {
    const header = req.headers['x-tenant-id'];
    if (typeof header !== 'string' || header.trim() === '') {
      throw commonError(
        'TENANT_REQUIRED',
        'A platform service key names the tenant to read in the X-Tenant-Id header',
      );
    }
    const tenant = await this.tenants.resolve(header.trim());
    if (!tenant) throw commonError('UNKNOWN_TENANT', `No tenant ${header.trim()}`);
    return tenant;
  }

  /** Failed attempts are counted per client IP, so guessing keys or tokens is rate limited. */
  private async authenticateCounted(context: ExecutionContext, req: AuthRequest): Promise<Principal> {
    try {
      return await this.authenticate(context, req);
    } catch (error) {
      if (error instanceof AppError && error.status === 401) {
        const record = await this.counters.increment(
          `auth-failures:${req.ip ?? 'unknown'}`,
          60_000,
          this.settings.authFailureLimit,
          60_000,
          'auth',
        );
        if (record.isBlocked) {
          throw commonError('RATE_LIMITED', 'Too many failed authentication attempts; retry later', [], {
            'Retry-After': String(record.timeToBlockExpire),
          });
        }
      }
      throw error;
    }
  }

  private async authenticate(context: ExecutionContext, req: AuthRequest): Promise<Principal> {
    const presentedKey = presentedApiKey(req);
    if (presentedKey !== undefined) return this.authenticateApiKey(presentedKey);
    await this.jwtGuard.canActivate(context);
    return req.user as Principal;
  }

  private async authenticateApiKey(presented: string): Promise<Principal> {
    const identity = await this.apiKeys.authenticate(presented);
    if (!identity) throw commonError('UNAUTHENTICATED', 'Invalid, expired or revoked API key');
    const tenant = identity.tenantId ? await this.tenants.resolve(identity.tenantId) : null;
    if (identity.tenantId && !tenant)
      throw commonError('UNAUTHENTICATED', 'Invalid, expired or revoked API key');
    const roles = [identity.role];
    // A platform key never manages tenants: its flag only lets it pick a tenant on /internal reads.
    return {
      kind: 'api_key',
      id: identity.id,
      tenant,
      roles,
      platform: false,
      crossTenant: identity.platform,
      allowSecrets: identity.allowSecrets,
      permissions: permissionsFor(roles, false),
      ...(identity.expiresAt !== undefined ? { expiresAt: identity.expiresAt } : {}),
    };
  }
}
