import { generateKeyPairSync } from 'node:crypto';
import { sign } from 'jsonwebtoken';
import { createTenant, TestTenant } from '../factories/tenant.factory';
import { expectError } from '../helpers/envelope';
import { startTestApp, TestApp } from '../helpers/test-app';
import { signToken, TEST_JWT_SECRET } from '../helpers/tokens';

describe('JWT authentication', () => {
  let ctx: TestApp;
  let tenant: TestTenant;

  beforeAll(async () => {
    ctx = await startTestApp();
    tenant = await createTenant(ctx);
  });
  afterAll(() => ctx.close());

  const opts = {};
  const auditAs = (token: string) => ctx.http.get('/api/v1/audit').set('Authorization', `Bearer ${token}`);

  it('accepts a valid token naming the tenant by id or by slug', async () => {
    const byId = await auditAs(signToken({ tenant: tenant.id, roles: ['admin'] }, opts));
    expect(byId.status).toBe(200);
    expect(byId.body).toEqual(
      expect.objectContaining({ total: expect.any(Number), items: expect.any(Array) }),
    );
    const bySlug = await auditAs(signToken({ tenant: tenant.slug, roles: ['admin'] }, opts));
    expect(bySlug.status).toBe(200);
  });

  it('refuses a request without credentials', async () => {
    const error = expectError(await ctx.http.get('/api/v1/audit'), 401, 'UNAUTHENTICATED');
    expect(error.message).toMatch(/Authentication required/);
  });

  it('refuses a malformed token, saying it is not a JWT', async () => {
    for (const token of ['not.a.jwt', 'garbage']) {
      const error = expectError(await auditAs(token), 401, 'UNAUTHENTICATED');
      expect(error.message).toBe('Invalid token: it is not a JWT (its header is not base64url JSON)');
    }
  });

  it('refuses a token signed with another secret', async () => {
    const forged = signToken(
      { tenant: tenant.id, roles: ['admin'] },
      opts,
      'another-secret-another-secret-another!!',
    );
    expectError(await auditAs(forged), 401, 'UNAUTHENTICATED');
  });

  it('refuses alg "none"', async () => {
    const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const body = Buffer.from(
      JSON.stringify({ sub: 'x', tenant_id: tenant.id, roles: ['owner'], iat: now, exp: now + 600 }),
    ).toString('base64url');
    const error = expectError(await auditAs(`${header}.${body}.`), 401, 'UNAUTHENTICATED');
    expect(error.message).toBe('Invalid token: algorithm none is not accepted');
  });

  it('refuses an RS256 token when no JWKS is configured, and an HS256 token signed with a public key', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const rs = sign({ sub: 'x', tenant_id: tenant.id, roles: ['owner'] }, privateKey, {
      algorithm: 'RS256',
      ...opts,
    });
    expectError(await auditAs(rs), 401, 'UNAUTHENTICATED');
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const confused = sign({ sub: 'x', tenant_id: tenant.id, roles: ['owner'] }, pem, {
      algorithm: 'HS256',
      ...opts,
    });
    expectError(await auditAs(confused), 401, 'UNAUTHENTICATED');
  });

  it('refuses an expired token and one not valid yet', async () => {
    const expired = signToken({ tenant: tenant.id, roles: ['admin'] }, { ...opts, expiresIn: -10 });
    const error = expectError(await auditAs(expired), 401, 'UNAUTHENTICATED');
    expect(error.message).toMatch(/expired/);
    const early = signToken({ tenant: tenant.id, roles: ['admin'] }, { ...opts, notBefore: 3600 });
    expectError(await auditAs(early), 401, 'UNAUTHENTICATED');
  });

  it('refuses an unknown tenant and a token without tenant or subject', async () => {
    expectError(
      await auditAs(signToken({ tenant: 'no-such-tenant', roles: ['admin'] }, opts)),
      401,
      'UNAUTHENTICATED',
    );
    expectError(
      await auditAs(signToken({ tenant: '00000000-0000-4000-8000-000000000000', roles: ['admin'] }, opts)),
      401,
      'UNAUTHENTICATED',
    );
    expectError(await auditAs(signToken({ roles: ['admin'] }, opts)), 401, 'UNAUTHENTICATED');
    const noSub = sign({ tenant_id: tenant.id, roles: ['admin'] }, TEST_JWT_SECRET, {
      algorithm: 'HS256',
      ...opts,
    });
    expectError(await auditAs(noSub), 401, 'UNAUTHENTICATED');
  });

  it('refuses a subject that could not be stored as the actor of a change: U+0000, a lone surrogate, too long', async () => {
    const create = (sub: string) =>
      ctx.http
        .post('/api/v1/api-keys')
        .set('Authorization', `Bearer ${signToken({ sub, tenant: tenant.id, roles: ['owner'] }, opts)}`)
        .send({ name: 'by-odd-subject', role: 'viewer' });
    for (const sub of ['user\u0000x', 'user\ud800', 'u'.repeat(256)]) {
      const error = expectError(await create(sub), 401, 'UNAUTHENTICATED');
      expect(error.message).toMatch(/subject \(sub\)/);
    }
    expect((await create('u'.repeat(255))).status).toBe(201);
  });

  it('answers 403 when the role lacks the permission', async () => {
    const error = expectError(
      await auditAs(signToken({ tenant: tenant.id, roles: ['viewer'] }, opts)),
      403,
      'FORBIDDEN',
    );
    expect(error.message).toMatch(/audit:read/);
  });

  it('answers 403 TENANT_REQUIRED to a platform operator without a tenant on a tenant route', async () => {
    expectError(await auditAs(signToken({ sub: 'op', platform: true }, opts)), 403, 'TENANT_REQUIRED');
  });
});

describe('JWT issuer and audience, when configured', () => {
  let ctx: TestApp;
  let tenant: TestTenant;
  const expected = { issuer: 'https://idp.test', audience: 'agentry' };

  beforeAll(async () => {
    ctx = await startTestApp({ env: { JWT_ISSUER: expected.issuer, JWT_AUDIENCE: expected.audience } });
    const res = await ctx.http
      .post('/api/v1/tenants')
      .set('Authorization', `Bearer ${signToken({ sub: 'op', platform: true }, expected)}`)
      .send({ slug: 'iss-aud', name: 'Issuer test' });
    expect(res.status).toBe(201);
    tenant = { id: res.body.id, slug: 'iss-aud', token: () => '' };
  });
  afterAll(() => ctx.close());

  const auditAs = (token: string) => ctx.http.get('/api/v1/audit').set('Authorization', `Bearer ${token}`);

  it('accepts the configured issuer and audience', async () => {
    expect((await auditAs(signToken({ tenant: tenant.id, roles: ['admin'] }, expected))).status).toBe(200);
  });

  it('refuses a wrong or missing issuer or audience', async () => {
    const claims = { tenant: tenant.id, roles: ['admin' as const] };
    expectError(
      await auditAs(signToken(claims, { ...expected, issuer: 'https://evil.test' })),
      401,
      'UNAUTHENTICATED',
    );
    expectError(await auditAs(signToken(claims, { ...expected, audience: 'other' })), 401, 'UNAUTHENTICATED');
    expectError(await auditAs(signToken(claims)), 401, 'UNAUTHENTICATED');
  });
});
