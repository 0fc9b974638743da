import { generateKeyPairSync, KeyObject } from 'node:crypto';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sign, SignOptions } from 'jsonwebtoken';
import { createApiKey, createTenant, TestTenant } from '../factories/tenant.factory';
import { expectError } from '../helpers/envelope';
import { startTestApp, TestApp } from '../helpers/test-app';

/**
 * Attacks on authentication that the JWT, JWKS and rate-limit suites leave out: `kid` values that
 * are paths, URLs or SQL, key-location headers (`jku`, `x5u`, an embedded `jwk`), a published JWKS
 * key used as an HMAC secret, and brute-forcing API keys that share a real key's lookup prefix.
 */

/** An HTTP server that counts every request: the identity provider's JWKS, or an attacker's. */
async function countingServer(body: string) {
  const hits: string[] = [];
  const server: Server = createServer((req, res) => {
    hits.push(req.url ?? '');
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    hits,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function jwksOf(keys: Array<{ kid: string; publicKey: KeyObject }>): string {
  return JSON.stringify({
    keys: keys.map(({ kid, publicKey }) => ({
      ...publicKey.export({ format: 'jwk' }),
      kid,
      alg: 'RS256',
      use: 'sig',
    })),
  });
}

describe('auth attacks against a JWKS-configured app', () => {
  const idp = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const attacker = generateKeyPairSync('rsa', { modulusLength: 2048 });
  let jwks: Awaited<ReturnType<typeof countingServer>>;
  let evil: Awaited<ReturnType<typeof countingServer>>;
  let ctx: TestApp;
  let tenant: TestTenant;

  beforeAll(async () => {
    jwks = await countingServer(jwksOf([{ kid: 'rsa-1', publicKey: idp.publicKey }]));
    // The attacker's server publishes the attacker's key, in case anything fetches it.
    evil = await countingServer(jwksOf([{ kid: 'rsa-1', publicKey: attacker.publicKey }]));
    // The failure limit is the second suite's subject; here every attempt must reach verification.
    ctx = await startTestApp({
      env: { JWT_JWKS_URL: `${jwks.base}/.well-known/jwks.json`, AUTH_FAILURE_LIMIT: '1000' },
    });
    tenant = await createTenant(ctx);
  });
  afterAll(async () => {
    await ctx.close();
    await jwks.close();
    await evil.close();
  });

  const claims = () => ({ sub: 'mallory', tenant_id: tenant.id, roles: ['owner'] });
  const call = (token: string) => ctx.http.get('/api/v1/agents').set('Authorization', `Bearer ${token}`);
  const signed = (key: KeyObject | string, options: SignOptions) =>
    sign(claims(), key, { expiresIn: '5m', ...options } as SignOptions);

  it('a genuine token of the identity provider gets through (the attacks below are refused for cause)', async () => {
    const res = await call(signed(idp.privateKey, { algorithm: 'RS256', keyid: 'rsa-1' }));
    expect(res.status).toBe(200);
  });

  it.each([
    ['a file path', '../../../../../../etc/passwd'],
    ['/dev/null', '/dev/null'],
    ['a file URL', 'file:///etc/passwd'],
    ['an attacker URL', 'EVIL_URL'],
    ['SQL', "rsa-1' OR '1'='1"],
    ['a command', 'rsa-1; curl EVIL_URL'],
    ['an empty kid', ''],
  ])('refuses a kid that is %s, fetching nothing from it', async (_what, kid) => {
    const resolved = kid.replace('EVIL_URL', `${evil.base}/jwks.json`);
    const token = signed(attacker.privateKey, { algorithm: 'RS256', keyid: resolved });
    expectError(await call(token), 401, 'UNAUTHENTICATED');
    // An HS256 token with the same kid, signed with an empty or guessable secret.
    const hmac = sign(claims(), 'x', { algorithm: 'HS256', keyid: resolved, expiresIn: '5m' });
    expectError(await call(hmac), 401, 'UNAUTHENTICATED');
    expect(evil.hits).toEqual([]);
  });

  it('ignores key-location headers: jku, x5u and an embedded jwk', async () => {
    const attackerJwk = { ...attacker.publicKey.export({ format: 'jwk' }), kid: 'rsa-1', alg: 'RS256' };
    for (const header of [
      { jku: `${evil.base}/jwks.json` },
      { x5u: `${evil.base}/cert.pem` },
      { jwk: attackerJwk },
      { jku: `${evil.base}/jwks.json`, kid: 'rsa-1' },
    ]) {
      const token = sign(claims(), attacker.privateKey, {
        algorithm: 'RS256',
        expiresIn: '5m',
        header: { alg: 'RS256', kid: 'rsa-1', ...header },
      });
      expectError(await call(token), 401, 'UNAUTHENTICATED');
    }
    expect(evil.hits).toEqual([]);
  });

  it('refuses HS256 signed with the published JWKS key as the secret (PEM, DER or JWK text)', async () => {
    const secrets = [
      idp.publicKey.export({ format: 'pem', type: 'spki' }) as string,
      idp.publicKey.export({ format: 'pem', type: 'pkcs1' }) as string,
      (idp.publicKey.export({ format: 'der', type: 'spki' }) as Buffer).toString('base64'),
      JSON.stringify(idp.publicKey.export({ format: 'jwk' })),
      (await (await fetch(`${jwks.base}/.well-known/jwks.json`)).text()).trim(),
    ];
    for (const secret of secrets) {
      for (const kid of ['rsa-1', undefined]) {
        const token = sign(claims(), secret, {
          algorithm: 'HS256',
          expiresIn: '5m',
          ...(kid ? { keyid: kid } : {}),
        });
        expectError(await call(token), 401, 'UNAUTHENTICATED');
      }
    }
  });
});

describe('brute-forcing API keys', () => {
  let ctx: TestApp;
  let tenant: TestTenant;

  beforeAll(async () => {
    ctx = await startTestApp({ env: { AUTH_FAILURE_LIMIT: '20' } });
    tenant = await createTenant(ctx);
  });
  afterAll(() => ctx.close());

  it("guesses sharing a real key's lookup prefix are refused alike, then rate limited; the real key still works", async () => {
    const { key } = await createApiKey(ctx, tenant, 'viewer');
    const prefix = key.slice(0, 'agt_'.length + 8);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const guesses: string[] = [];
    // The real key with its last character changed: same row found, the hash differs.
    for (const c of alphabet.slice(0, 6)) if (!key.endsWith(c)) guesses.push(key.slice(0, -1) + c);
    // Same prefix, the wrong length (a hash compared byte for byte would throw on these).
    guesses.push(prefix, `${prefix}A`, `${key}A`, `${key}${'A'.repeat(500)}`);
    // Same prefix, a random rest; and a prefix off by one character.
    for (let i = 0; i < 6; i++) guesses.push(prefix + 'Z'.repeat(35 - i) + alphabet.slice(i, i + 8));
    guesses.push(`agt_${prefix.slice(4, 11)}${prefix[11] === 'A' ? 'B' : 'A'}${key.slice(12)}`);

    const statuses: number[] = [];
    for (const guess of guesses) {
      const res = await ctx.http.get('/api/v1/agents').set('X-API-Key', guess);
      statuses.push(res.status);
      expect(res.body.error.code).toBe(res.status === 429 ? 'RATE_LIMITED' : 'UNAUTHENTICATED');
      expect(JSON.stringify(res.body)).not.toContain(key.slice(12));
    }
    expect(statuses.every((s) => s === 401)).toBe(true);
    // Keep guessing from the same address: the failure limit answers 429 before any lookup.
    let limited = 0;
    for (let i = 0; i < 20 && limited === 0; i++) {
      const res = await ctx.http.get('/api/v1/agents').set('X-API-Key', `${prefix}${'Q'.repeat(35)}`);
      if (res.status === 429) {
        expectError(res, 429, 'RATE_LIMITED');
        limited++;
      } else expectError(res, 401, 'UNAUTHENTICATED');
    }
    expect(limited).toBe(1);
    // A Bearer-presented guess is limited as well.
    expectError(
      await ctx.http.get('/api/v1/agents').set('Authorization', `Bearer ${prefix}${'R'.repeat(35)}`),
      429,
      'RATE_LIMITED',
    );
    // Only failures are limited: the owner of the key is not locked out by an attacker.
    expect((await ctx.http.get('/api/v1/agents').set('X-API-Key', key)).status).toBe(200);
  });
});
