import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { createTenant, TestTenant } from '../factories/tenant.factory';
import { expectError } from '../helpers/envelope';
import { startTestApp, TestApp } from '../helpers/test-app';
import { platformToken } from '../helpers/tokens';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Sends a raw body without Content-Length (chunked), which supertest cannot do. */
function postChunked(url: string, path: string, headers: Record<string, string>, chunks: string[]) {
  return new Promise<{ status: number; body: Record<string, unknown> }>((resolve, reject) => {
    const req = httpRequest(`${url}${path}`, { method: 'POST', headers }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (part: Buffer) => parts.push(part));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(parts).toString('utf8')) }),
      );
    });
    req.on('error', reject);
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

describe('error envelope', () => {
  let ctx: TestApp;
  let tenant: TestTenant;

  beforeAll(async () => {
    ctx = await startTestApp({ env: { BODY_LIMIT: '2kb' } });
    tenant = await createTenant(ctx);
  });
  afterAll(() => ctx.close());

  const owner = () => ({ Authorization: `Bearer ${tenant.token('owner')}` });

  /** What a rejected write could have touched: the tenant's keys, its audit log, and the tenant list. */
  async function state() {
    const keys = await ctx.http.get('/api/v1/api-keys?include_revoked=true&limit=100').set(owner());
    const audit = await ctx.http.get('/api/v1/audit?limit=100').set(owner());
    const tenants = await ctx.http
      .get('/api/v1/tenants?limit=100')
      .set('Authorization', `Bearer ${platformToken()}`);
    expect([keys.status, audit.status, tenants.status]).toEqual([200, 200, 200]);
    return { keys: keys.body, audit: audit.body, tenants: tenants.body };
  }

  let before: Awaited<ReturnType<typeof state>>;
  beforeEach(async () => {
    before = await state();
  });
  afterEach(async () => {
    // Every test here sends only requests that must be refused: nothing may have been written.
    expect(await state()).toEqual(before);
  });

  it('answers 400 MALFORMED_JSON to a body that is not JSON', async () => {
    const res = await ctx.http
      .post('/api/v1/api-keys')
      .set(owner())
      .set('Content-Type', 'application/json')
      .send('{"name": "x", "role": ');
    const error = expectError(res, 400, 'MALFORMED_JSON');
    expect(error.message).toMatch(/^Request body is not valid JSON/);
    expect(error.path).toBe('/api/v1/api-keys');
  });

  it('answers 413 PAYLOAD_TOO_LARGE over BODY_LIMIT, with or without Content-Length', async () => {
    const big = { name: 'x'.repeat(3 * 1024), role: 'viewer' };
    const error = expectError(
      await ctx.http.post('/api/v1/api-keys').set(owner()).send(big),
      413,
      'PAYLOAD_TOO_LARGE',
    );
    expect(error.message).toBe('Request body exceeds the limit of 2048 bytes');

    const chunked = await postChunked(
      ctx.url,
      '/api/v1/api-keys',
      { ...owner(), 'Content-Type': 'application/json', 'X-Request-Id': 'chunked-1' },
      ['{"name":"', 'y'.repeat(1500), 'y'.repeat(1500), '","role":"viewer"}'],
    );
    expect(chunked.status).toBe(413);
    expect(chunked.body).toEqual({
      error: expect.objectContaining({ code: 'PAYLOAD_TOO_LARGE', request_id: 'chunked-1' }),
    });

    // Just under the limit is read (and then validated: the name is too long).
    const under = { name: 'x'.repeat(1900), role: 'viewer' };
    const validation = expectError(
      await ctx.http.post('/api/v1/api-keys').set(owner()).send(under),
      400,
      'VALIDATION_FAILED',
    );
    expect(validation.details).toEqual([expect.objectContaining({ field: 'name', code: 'maxLength' })]);
  });

  it('answers 400 VALIDATION_FAILED with a detail per unknown field and wrong type', async () => {
    const res = await ctx.http
      .post('/api/v1/api-keys')
      .set(owner())
      .send({ name: ['x'], role: 7, expires_at: 'tomorrow', colour: 'blue', nested: { a: 1 } });
    const error = expectError(res, 400, 'VALIDATION_FAILED');
    expect(error.message).toMatch(/^Validation failed: \d+ problems in the request$/);
    const details = error.details as Array<{ field: string; code: string; message: string }>;
    expect(new Set(details.map((detail) => detail.field))).toEqual(
      new Set(['name', 'role', 'expires_at', 'colour', 'nested']),
    );
    expect(details).toEqual(
      expect.arrayContaining([
        { field: 'colour', code: 'unknownField', message: 'property colour is not allowed' },
        { field: 'nested', code: 'unknownField', message: 'property nested is not allowed' },
        expect.objectContaining({ field: 'name', code: 'isString' }),
        expect.objectContaining({ field: 'role', code: 'isIn' }),
        expect.objectContaining({
          field: 'expires_at',
          code: 'isDate',
          message: 'expires_at must be an ISO 8601 date or date-time, e.g. 2026-01-31T12:00:00Z',
        }),
      ]),
    );
    // A value of the wrong type gets its type named, and nothing else (name is no "too long" array).
    expect(details.filter((detail) => detail.field === 'name')).toEqual([
      { field: 'name', code: 'isString', message: 'name must be a string' },
    ]);

    // Nested fields are named by their path.
    const nested = await ctx.http
      .post('/api/v1/tenants')
      .set('Authorization', `Bearer ${platformToken()}`)
      .send({ slug: 'nested-fields', name: 'N', limits: { max_agents: 'many', surprise: 1 } });
    const nestedError = expectError(nested, 400, 'VALIDATION_FAILED');
    expect(nestedError.details).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ field: 'limits.max_agents', code: 'isInt' }),
        expect.objectContaining({ field: 'limits.surprise', code: 'unknownField' }),
      ]),
    );

    // A JSON array where an object is expected is refused as such, not read as fields "0", "1"...
    const array = expectError(
      await ctx.http
        .post('/api/v1/api-keys')
        .set(owner())
        .send([{ name: 'x', role: 'viewer' }]),
      400,
      'VALIDATION_FAILED',
    );
    expect(array.message).toBe('Validation failed: the request body must be a JSON object, not an array');

    // JSON that is not an object is named for what it is, not called invalid JSON.
    for (const [body, found] of [
      ['null', 'null'],
      [' 5 ', 'a number'],
      ['"x"', 'a string'],
      ['true', 'a boolean'],
    ]) {
      const scalar = expectError(
        await ctx.http
          .post('/api/v1/api-keys')
          .set(owner())
          .set('Content-Type', 'application/json')
          .send(body),
        400,
        'VALIDATION_FAILED',
      );
      expect(scalar.message).toBe(`Validation failed: the request body must be a JSON object, not ${found}`);
    }
  });

  it('names a missing required field as required, not by the type it would have had', async () => {
    const error = expectError(
      await ctx.http.post('/api/v1/api-keys').set(owner()).send({ role: 'viewer' }),
      400,
      'VALIDATION_FAILED',
    );
    expect(error.message).toBe('Validation failed: name is required');
    expect(error.details).toEqual([{ field: 'name', code: 'required', message: 'name is required' }]);
  });

  it('answers 415 to a body that is not JSON', async () => {
    const text = await ctx.http
      .post('/api/v1/api-keys')
      .set(owner())
      .set('Content-Type', 'text/plain')
      .send('name=x&role=viewer');
    const error = expectError(text, 415, 'UNSUPPORTED_MEDIA_TYPE');
    expect(error.message).toBe('Send the body as application/json');
    expectError(
      await ctx.http.post('/api/v1/api-keys').set(owner()).type('form').send({ name: 'x', role: 'viewer' }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
    // JSON in a charset other than UTF-8, or in an encoding the server cannot undo, is a 415 too.
    const latin1 = await ctx.http
      .post('/api/v1/api-keys')
      .set(owner())
      .set('Content-Type', 'application/json; charset=latin1')
      .send('{"name":"x","role":"viewer"}');
    expect(expectError(latin1, 415, 'UNSUPPORTED_MEDIA_TYPE').message).toMatch(/UTF-8/);
    expectError(
      await ctx.http
        .post('/api/v1/api-keys')
        .set(owner())
        .set('Content-Type', 'application/json')
        .set('Content-Encoding', 'compress')
        .send('{"name":"x","role":"viewer"}'),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
  });

  it('answers 404 ROUTE_NOT_FOUND to an unknown route, with or without credentials', async () => {
    const error = expectError(await ctx.http.get('/api/v1/nope'), 404, 'ROUTE_NOT_FOUND');
    expect(error.message).toBe('No route: GET /api/v1/nope');
    expect(error.path).toBe('/api/v1/nope');
    expectError(await ctx.http.get('/api/v1/nope').set(owner()), 404, 'ROUTE_NOT_FOUND');
    expectError(await ctx.http.delete('/api/v1/agents/x/y').set(owner()), 404, 'ROUTE_NOT_FOUND');
    expectError(await ctx.http.get('/elsewhere?x=1'), 404, 'ROUTE_NOT_FOUND');
    expect((await ctx.http.options('/api/v1/nope')).status).toBe(404);
  });

  it('answers 405 METHOD_NOT_ALLOWED with Allow to a known path asked with another method', async () => {
    const res = await ctx.http.put('/api/v1/api-keys').set(owner()).send({});
    const error = expectError(res, 405, 'METHOD_NOT_ALLOWED');
    expect(res.headers.allow).toBe('GET, HEAD, POST, OPTIONS');
    expect(error.message).toBe('PUT is not allowed on /api/v1/api-keys; it answers GET, HEAD, POST, OPTIONS');
    expect(error.path).toBe('/api/v1/api-keys');
    // Path parameters match any one segment; no credentials are needed to learn the methods.
    const posted = await ctx.http.post(`/api/v1/runs/${randomUUID()}`);
    expectError(posted, 405, 'METHOD_NOT_ALLOWED');
    expect(posted.headers.allow).toBe('GET, HEAD, OPTIONS');
    expect((await ctx.http.delete('/internal/v1/changes/')).headers.allow).toBe('GET, HEAD, OPTIONS');
  });

  it('answers OPTIONS on a known path with 204 and its methods', async () => {
    const res = await ctx.http.options('/api/v1/agents');
    expect(res.status).toBe(204);
    expect(res.headers.allow).toBe('GET, HEAD, POST, OPTIONS');
    expect(res.text).toBe('');
  });

  it('keeps a sane X-Request-Id, generates one otherwise, and echoes it on errors and successes', async () => {
    const kept = await ctx.http.get('/api/v1/nope').set('X-Request-Id', 'client-req.42:a_b-c');
    expect(kept.headers['x-request-id']).toBe('client-req.42:a_b-c');
    expect(kept.body.error.request_id).toBe('client-req.42:a_b-c');

    const generated = await ctx.http.get('/api/v1/nope');
    expect(generated.headers['x-request-id']).toMatch(UUID);
    expect(generated.body.error.request_id).toBe(generated.headers['x-request-id']);

    // Not a token we would put in logs and headers: replaced.
    const unsafe = await ctx.http.get('/api/v1/nope').set('X-Request-Id', 'evil value\twith spaces');
    expect(unsafe.headers['x-request-id']).toMatch(UUID);
    const long = await ctx.http.get('/api/v1/nope').set('X-Request-Id', 'x'.repeat(129));
    expect(long.headers['x-request-id']).toMatch(UUID);

    const ok = await ctx.http.get('/api/v1/health/live').set('X-Request-Id', 'live-1');
    expect(ok.status).toBe(200);
    expect(ok.headers['x-request-id']).toBe('live-1');
  });
});
