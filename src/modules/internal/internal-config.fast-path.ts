import { Inject, Injectable } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import {
  API_KEY_AUTHENTICATOR,
  API_KEY_PREFIX,
  ApiKeyAuthenticator,
  TENANT_RESOLVER,
  TenantResolver,
} from '../../shared/auth/auth.ports';
import { Permission, ROLE_PERMISSIONS } from '../../shared/auth/permissions';
import { sendCachedJson } from '../../shared/http/cached-json';
import { ResolvedConfigService } from './resolved-config.service';

const CONFIG_PATH = /^\/([^/]+)\/config$/;
const LABEL = /^[a-z0-9][a-z0-9_.-]{0,62}$/;
const VERSION = /^[1-9]\d{0,8}$/;

/**
 * The execution services' hot path, in front of Nest: `GET /internal/v1/agents/:idOrName/config`
 * answered from the cache of pre-serialized bytes for a tenant service key, with no validation
 * pipe, guard chain or serialization in the way. It serves only the plain case (a cached config,
 * a tenant-bound key allowed to read it); anything else (a miss, a JWT, a platform key, a bad
 * query, a failed authentication) goes on to the Nest route, which answers it fully, errors
 * included. The answers are the same bytes and headers either way.
 */
@Injectable()
export class InternalConfigFastPath {
  constructor(
    private readonly resolved: ResolvedConfigService,
    @Inject(API_KEY_AUTHENTICATOR) private readonly apiKeys: ApiKeyAuthenticator,
    @Inject(TENANT_RESOLVER) private readonly tenants: TenantResolver,
  ) {}

  /** Mount at `/internal/v1/agents`. */
  readonly middleware = (req: Request, res: Response, next: NextFunction): void => {
    if (req.method !== 'GET') return next();
    const match = CONFIG_PATH.exec(req.path);
    const key = this.presentedKey(req);
    if (!match || !key) return next();
    let idOrName: string;
    try {
      idOrName = decodeURIComponent(match[1]);
    } catch {
      return next(); // a malformed escape: the full route answers it
    }
    this.serve(req, res, idOrName, key).then(
      (served) => (served ? undefined : next()),
      () => next(),
    );
  };

  private async serve(req: Request, res: Response, idOrName: string, presented: string): Promise<boolean> {
    const query = this.query(req);
    if (!query) return false;
    const identity = await this.apiKeys.authenticate(presented);
    if (!identity?.tenantId || identity.platform) return false;
    if (!ROLE_PERMISSIONS[identity.role].includes(Permission.InternalRead)) return false;
    const tenant = await this.tenants.resolve(identity.tenantId);
    if (!tenant?.active) return false;
    const cached = this.resolved.peek(tenant.id, idOrName, query, identity.allowSecrets);
    if (!cached) return false;
    res.setHeader('X-Content-Type-Options', 'nosniff');
    (res.locals as { metricsRoute?: string }).metricsRoute = '/internal/v1/agents/:idOrName/config';
    sendCachedJson(req, res, cached);
    return true;
  }

  private presentedKey(req: Request): string | undefined {
    const header = req.headers['x-api-key'];
    if (typeof header === 'string') return header;
    const authorization = req.headers.authorization;
    return authorization?.startsWith(`Bearer ${API_KEY_PREFIX}`) ? authorization.slice(7).trim() : undefined;
  }

  /** The plain query forms only (`label`, `version`, or nothing); anything else is Nest's to judge. */
  private query(req: Request): { label?: string; version?: number } | undefined {
    const { label, version, ...rest } = req.query;
    if (Object.keys(rest).length > 0) return undefined;
    if (label !== undefined && version !== undefined) return undefined;
    if (label !== undefined) return typeof label === 'string' && LABEL.test(label) ? { label } : undefined;
    if (version !== undefined)
      return typeof version === 'string' && VERSION.test(version) ? { version: Number(version) } : undefined;
    return {};
  }
}
