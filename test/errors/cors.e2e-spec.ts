import { createTenant, TestTenant } from '../factories/tenant.factory';
import { startTestApp, TestApp } from '../helpers/test-app';

const ADMIN = 'https://admin.example';

describe('CORS (CORS_ORIGINS set)', () => {
  let ctx: TestApp;
  let tenant: TestTenant;

  beforeAll(async () => {
    ctx = await startTestApp({ env: { CORS_ORIGINS: ADMIN } });
    tenant = await createTenant(ctx);
  });
  afterAll(() => ctx.close());

  it('answers a listed origin’s preflight, ahead of authentication and of the Allow answer', async () => {
    const res = await ctx.http
      .options('/api/v1/agents')
      .set('Origin', ADMIN)
      .set('Access-Control-Request-Method', 'POST')
      .set('Access-Control-Request-Headers', 'authorization,content-type');
    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe(ADMIN);
    expect(res.headers['access-control-allow-headers']).toBe('authorization,content-type');
    expect(res.headers['access-control-max-age']).toBe('600');
  });

  it('lets a listed origin read the answer and its ETag, Location and request id', async () => {
    const res = await ctx.http
      .get('/api/v1/agents')
      .set('Origin', ADMIN)
      .set('Authorization', `Bearer ${tenant.token('viewer')}`);
    expect(res.status).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe(ADMIN);
    expect(res.headers['access-control-expose-headers']).toBe(
      'ETag,Location,X-Request-Id,Retry-After,X-Run-Id,X-Session-Id',
    );
  });

  it('lets a listed origin read the errors answered while the body is read (malformed, too large, not JSON, reserved key)', async () => {
    const post = () =>
      ctx.http
        .post('/api/v1/agents')
        .set('Origin', ADMIN)
        .set('Authorization', `Bearer ${tenant.token('editor')}`);
    const answers = [
      [await post().set('Content-Type', 'application/json').send('{x'), 400, 'MALFORMED_JSON'],
      [await post().set('Content-Type', 'text/plain').send('hello'), 415, 'UNSUPPORTED_MEDIA_TYPE'],
      [
        await post()
          .set('Content-Type', 'application/json')
          .send(`{"a":"${'x'.repeat(2_000_000)}"}`),
        413,
        'PAYLOAD_TOO_LARGE',
      ],
      [
        await post().set('Content-Type', 'application/json').send('{"name":"x","constructor":1}'),
        400,
        'VALIDATION_FAILED',
      ],
    ] as const;
    for (const [res, status, code] of answers) {
      expect([res.status, res.body.error?.code]).toEqual([status, code]);
      expect(res.headers['access-control-allow-origin']).toBe(ADMIN);
    }
  });

  it('gives another origin no CORS header, so its browser keeps the answer from it', async () => {
    const preflight = await ctx.http
      .options('/api/v1/agents')
      .set('Origin', 'https://evil.example')
      .set('Access-Control-Request-Method', 'POST');
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    const res = await ctx.http
      .get('/api/v1/agents')
      .set('Origin', 'https://evil.example')
      .set('Authorization', `Bearer ${tenant.token('viewer')}`);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });
});
