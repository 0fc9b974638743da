import { generateKeyPairSync, KeyObject } from 'node:crypto';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sign, SignOptions } from 'jsonwebtoken';
import { createTenant, TestTenant } from '../factories/tenant.factory';
import { expectError } from '../helpers/envelope';
import { startTestApp, TestApp } from '../helpers/test-app';
import { signToken } from '../helpers/tokens';

/** An identity provider's JWKS endpoint: a real HTTP server publishing the public halves. */
async function startJwksServer(keys: Array<{ kid: string; alg: string; publicKey: KeyObject }>) {
  let fetches = 0;
  const body = JSON.stringify({
    keys: keys.map(({ kid, alg, publicKey }) => ({
      ...publicKey.export({ format: 'jwk' }),
      kid,
      alg,
      use: 'sig',
    })),
  });
  const server: Server = createServer((req, res) => {
    if (req.url !== '/.well-known/jwks.json') {
      res.writeHead(404).end();
      return;
    }
    fetches++;
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    fetches: () => fetches,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('JWT verified against a JWKS URL', () => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 });
  let jwks: Awaited<ReturnType<typeof startJwksServer>>;
  let ctx: TestApp;
  let tenant: TestTenant;

  beforeAll(async () => {
    jwks = await startJwksServer([
      { kid: 'rsa-1', alg: 'RS256', publicKey: rsa.publicKey },
      { kid: 'ec-1', alg: 'ES256', publicKey: ec.publicKey },
    ]);
    ctx = await startTestApp({ env: { JWT_JWKS_URL: jwks.url } });
    tenant = await createTenant(ctx);
  });
  afterAll(async () => {
    await ctx.close();
    await jwks.close();
  });

  const claims = () => ({ sub: 'idp-user', tenant_id: tenant.id, roles: ['admin'] });
  const asymmetric = (key: KeyObject, options: SignOptions) =>
    sign(claims(), key, { expiresIn: '10m', ...options });
  const auditAs = (token: string) =>
    ctx.http.get('/api/v1/audit?limit=1').set('Authorization', `Bearer ${token}`);

  it('accepts an RS256 token whose kid is published, fetching the JWKS from the server', async () => {
    const res = await auditAs(asymmetric(rsa.privateKey, { algorithm: 'RS256', keyid: 'rsa-1' }));
    expect(res.status).toBe(200);
    expect(res.body).toEqual(
      expect.objectContaining({ total: expect.any(Number), items: expect.any(Array) }),
    );
    expect(jwks.fetches()).toBeGreaterThanOrEqual(1);
    // The principal is the token's subject.
    const created = await ctx.http
      .post('/api/v1/api-keys')
      .set('Authorization', `Bearer ${asymmetric(rsa.privateKey, { algorithm: 'RS256', keyid: 'rsa-1' })}`)
      .send({ name: 'from-idp', role: 'viewer' });
    expect(created.status).toBe(201);
    expect(created.body.created_by).toBe('user:idp-user');
  });

  it('accepts an ES256 token whose kid is published', async () => {
    const res = await auditAs(asymmetric(ec.privateKey, { algorithm: 'ES256', keyid: 'ec-1' }));
    expect(res.status).toBe(200);
  });

  it('refuses an unknown kid', async () => {
    const error = expectError(
      await auditAs(asymmetric(rsa.privateKey, { algorithm: 'RS256', keyid: 'rsa-unknown' })),
      401,
      'UNAUTHENTICATED',
    );
    expect(error.message).toMatch(/^Invalid token/);
  });

  it('refuses a token signed with another key under a published kid', async () => {
    expectError(
      await auditAs(asymmetric(stranger.privateKey, { algorithm: 'RS256', keyid: 'rsa-1' })),
      401,
      'UNAUTHENTICATED',
    );
  });

  it("refuses a kid used with another key type's algorithm", async () => {
    // The RSA kid named on an ES256 token signed by the EC key: the published RSA key cannot verify it.
    expectError(
      await auditAs(asymmetric(ec.privateKey, { algorithm: 'ES256', keyid: 'rsa-1' })),
      401,
      'UNAUTHENTICATED',
    );
  });

  it('refuses an expired RS256 token, and still accepts HS256 with the configured secret', async () => {
    const expired = asymmetric(rsa.privateKey, { algorithm: 'RS256', keyid: 'rsa-1', expiresIn: -10 });
    const error = expectError(await auditAs(expired), 401, 'UNAUTHENTICATED');
    expect(error.message).toBe('Token has expired');
    expect((await auditAs(signToken({ tenant: tenant.id, roles: ['admin'] }))).status).toBe(200);
  });
});
