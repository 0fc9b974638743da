import { createApiKey, createTenant, TestTenant } from '../factories/tenant.factory';
import { startTestApp, TestApp } from '../helpers/test-app';
import { signToken } from '../helpers/tokens';

interface RequestLine {
  req?: { id?: string; method?: string; url?: string; headers?: unknown };
  res?: { statusCode?: number };
  tenant?: string;
  principal?: string;
  msg?: string;
}

describe('request logs', () => {
  let ctx: TestApp;
  let tenant: TestTenant;

  beforeAll(async () => {
    ctx = await startTestApp();
    tenant = await createTenant(ctx);
  });
  afterAll(() => ctx.close());

  /** The one "request completed/errored" line of a request, found by its id. */
  function requestLine(requestId: string): RequestLine {
    const lines = (ctx.logs.entries() as RequestLine[]).filter(
      (entry) => entry.req?.id === requestId && entry.res !== undefined,
    );
    expect(lines).toHaveLength(1);
    return lines[0];
  }

  it('carries the request id, tenant slug and principal, and never a credential or a body', async () => {
    const token = signToken({ sub: 'alice', tenant: tenant.id, roles: ['owner'] });
    const { id: keyId, key } = await createApiKey(ctx, tenant, 'admin');
    const bodyText = 'PROMPT-TEXT-THAT-MUST-NOT-BE-LOGGED';

    const byUser = await ctx.http
      .post('/api/v1/api-keys')
      .set('Authorization', `Bearer ${token}`)
      .set('X-Request-Id', 'log-user-1')
      .send({ name: bodyText, role: 'viewer' });
    expect(byUser.status).toBe(201);
    const createdKey = byUser.body.key as string;

    const byKey = await ctx.http
      .get('/api/v1/audit?limit=1')
      .set('X-API-Key', key)
      .set('X-Request-Id', 'log-key-1');
    expect(byKey.status).toBe(200);
    const byBearerKey = await ctx.http
      .get('/api/v1/api-keys?limit=1')
      .set('Authorization', `Bearer ${createdKey}`)
      .set('X-Request-Id', 'log-key-2');
    expect(byBearerKey.status).toBe(403); // a viewer key: authenticated, not allowed

    const forged = signToken({ sub: 'mallory', tenant: tenant.id, roles: ['owner'] }, {}, 'f'.repeat(40));
    const refused = await ctx.http
      .get('/api/v1/audit')
      .set('Authorization', `Bearer ${forged}`)
      .set('X-Request-Id', 'log-refused-1');
    expect(refused.status).toBe(401);

    expect(requestLine('log-user-1')).toEqual(
      expect.objectContaining({
        req: { id: 'log-user-1', method: 'POST', url: '/api/v1/api-keys' },
        res: { statusCode: 201 },
        tenant: tenant.slug,
        principal: 'user:alice',
      }),
    );
    expect(requestLine('log-key-1')).toEqual(
      expect.objectContaining({
        req: expect.objectContaining({ id: 'log-key-1', url: '/api/v1/audit?limit=1' }),
        res: { statusCode: 200 },
        tenant: tenant.slug,
        principal: `api_key:${keyId}`,
      }),
    );
    expect(requestLine('log-key-2')).toEqual(
      expect.objectContaining({
        res: { statusCode: 403 },
        tenant: tenant.slug,
        principal: expect.stringMatching(/^api_key:/),
      }),
    );
    const refusedLine = requestLine('log-refused-1');
    expect(refusedLine.res).toEqual({ statusCode: 401 });
    expect(refusedLine.tenant).toBeUndefined();
    expect(refusedLine.principal).toBeUndefined();

    // No header is logged at all, so no credential can be.
    for (const entry of ctx.logs.entries() as RequestLine[]) expect(entry.req?.headers).toBeUndefined();
    const text = ctx.logs.text;
    for (const secret of [token, forged, key, createdKey, key.slice(12), createdKey.slice(12), bodyText]) {
      expect(text).not.toContain(secret);
    }
    expect(text).not.toMatch(/Bearer\s+\S/);
    expect(text).not.toMatch(/eyJ[\w-]+\.eyJ/); // no JWT of any kind
  });

  it('logs a request refused before it reaches a route (a body that is not JSON) and an unknown path', async () => {
    const malformed = await ctx.http
      .post('/api/v1/api-keys')
      .set('Authorization', `Bearer ${tenant.token('owner')}`)
      .set('Content-Type', 'application/json')
      .set('X-Request-Id', 'log-malformed-1')
      .send('{"name": ');
    expect(malformed.status).toBe(400);
    expect(requestLine('log-malformed-1')).toEqual(
      expect.objectContaining({
        req: { id: 'log-malformed-1', method: 'POST', url: '/api/v1/api-keys' },
        res: { statusCode: 400 },
      }),
    );
    const unknown = await ctx.http.get('/api/v1/no-such-route').set('X-Request-Id', 'log-unknown-1');
    expect(unknown.status).toBe(404);
    expect(requestLine('log-unknown-1').res).toEqual({ statusCode: 404 });
  });
});
