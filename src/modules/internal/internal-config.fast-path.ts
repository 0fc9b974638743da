import { Inject, Injectable } from '@nestjs/common';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import {
  API_KEY_AUTHENTICATOR,
  ApiKeyAuthenticator,
  TENANT_RESOLVER,
  TenantResolver,
} from '../../shared/auth/auth.ports';
import { presentedApiKey } from '../../shared/auth/credentials';
import { Permission, ROLE_PERMISSIONS } from '../../shared/auth/permissions';
import { sendCachedJson } from '../../shared/http/cached-json';
import { requestIdFor } from '../../shared/http/request-context';
import { httpRequestDuration } from '../../shared/metrics/metrics';
import type { ResolvedConfigQueryDto } from './dto/resolved-config.dto';
import type { CachedBody } from './resolved-config.cache';
import { ResolvedConfigService } from './resolved-config.service';

const PREFIX = '/internal/v1/agents/';
const ROUTE = '/internal/v1/agents/:idOrName/config';
// Label children bound once: no label hashing per request.
const OBSERVE_200 = httpRequestDuration.labels(ROUTE, 'GET', '200');
const OBSERVE_304 = httpRequestDuration.labels(ROUTE, 'GET', '304');
const CONFIG_PATH = /^\/internal\/v1\/agents\/([^/]+)\/config$/;
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

  /**
   * Puts the fast path in front of the server's request handler (Express): a hit is answered
   * before Express sees the request, so it also does their share of the work this answer needs
   * (the request id header and the request metric); anything else goes on to Express untouched.
   */
  mount(server: Server): void {
    const handlers = server.listeners('request') as Array<
      (req: IncomingMessage, res: ServerResponse) => void
    >;
    server.removeAllListeners('request');
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      if (this.serve(req, res)) return;
      for (const handler of handlers) handler.call(server, req, res);
    });
  }

  /** Answers a cache hit and returns true; false (nothing written) for anything else. */
  serve(req: IncomingMessage, res: ServerResponse): boolean {
    const url = req.url ?? '';
    if (req.method !== 'GET' || !url.startsWith(PREFIX)) return false;
    const started = process.hrtime.bigint();
    const queryAt = url.indexOf('?');
    const match = CONFIG_PATH.exec(queryAt < 0 ? url : url.slice(0, queryAt));
    const key = presentedApiKey(req);
    const query = queryAt < 0 ? {} : this.query(url.slice(queryAt + 1));
    if (!match || !key || !query) return false;
    let idOrName: string;
    try {
      idOrName = decodeURIComponent(match[1]);
    } catch {
      return false; // a malformed escape: the full route answers it
    }
    const cached = this.find(idOrName, key, query);
    if (!cached) return false;
    sendCachedJson(req, res, cached, {
      'X-Request-Id': requestIdFor(req),
      'X-Content-Type-Options': 'nosniff',
    });
    (res.statusCode === 304 ? OBSERVE_304 : OBSERVE_200).observe(
      Number(process.hrtime.bigint() - started) / 1e9,
    );
    return true;
  }

  /**
   * The cached answer, when the key is a tenant service key allowed to read it, all from memory:
   * any miss (key, tenant or config) leaves the request to the full route, which fills the caches.
   */
  private find(idOrName: string, presented: string, query: ResolvedConfigQueryDto): CachedBody | undefined {
    const identity = this.apiKeys.peek(presented);
    if (!identity?.tenantId || identity.platform) return undefined;
    if (!ROLE_PERMISSIONS[identity.role].includes(Permission.InternalRead)) return undefined;
    const tenant = this.tenants.peek(identity.tenantId);
    if (!tenant?.active) return undefined;
    return this.resolved.peek(tenant.id, idOrName, query, identity.allowSecrets);
  }

  /** The plain query forms only (`label=`, `version=`, or none); anything else is Nest's to judge. */
  private query(search: string): ResolvedConfigQueryDto | undefined {
    const params = new URLSearchParams(search);
    let label: string | undefined;
    let version: string | undefined;
    for (const [name, value] of params) {
      if (name === 'label' && label === undefined) label = value;
      else if (name === 'version' && version === undefined) version = value;
      else return undefined;
    }
    if (label !== undefined && version !== undefined) return undefined;
    if (label !== undefined) return LABEL.test(label) ? { label } : undefined;
    if (version !== undefined) return VERSION.test(version) ? { version: Number(version) } : undefined;
    return {};
  }
}
