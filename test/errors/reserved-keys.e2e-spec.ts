import { createTenant } from '../factories/tenant.factory';
import { expectError } from '../helpers/envelope';
import { startTestApp, TestApp } from '../helpers/test-app';

/**
 * Nest's ValidationPipe deletes `__proto__`, `constructor` and `prototype` keys at every depth;
 * the API refuses such bodies with a 400 naming the key instead of losing that part unseen.
 */
describe('reserved keys in bodies', () => {
  let ctx: TestApp;

  beforeAll(async () => {
    ctx = await startTestApp();
  });
  afterAll(() => ctx.close());

  it.each(['constructor', 'prototype', '__proto__'])(
    'refuses "%s" anywhere in a body, writing nothing',
    async (key) => {
      const tenant = await createTenant(ctx);
      const auth = `Bearer ${tenant.token('admin')}`;
      const body = `{"name":"keyed","metadata":{"team":{"${key}":1}}}`;
      const res = await ctx.http
        .post('/api/v1/agents')
        .set('Authorization', auth)
        .set('Content-Type', 'application/json')
        .send(body);
      const error = expectError(res, 400, 'VALIDATION_FAILED');
      expect(error.details).toEqual([
        expect.objectContaining({ field: `metadata.team.${key}`, code: 'reservedKey' }),
      ]);
      const list = await ctx.http.get('/api/v1/agents').set('Authorization', auth);
      expect(list.body.total).toBe(0);
    },
  );

  it('keeps keys that only look like them, and the same words as values', async () => {
    const tenant = await createTenant(ctx);
    const metadata = { constructors: 1, proto: 2, note: 'constructor', list: ['prototype'] };
    const res = await ctx.http
      .post('/api/v1/agents')
      .set('Authorization', `Bearer ${tenant.token('admin')}`)
      .send({ name: 'kept', metadata });
    expect(res.status).toBe(201);
    expect(res.body.metadata).toEqual(metadata);
  });

  it('refuses fields named like members of every object (toString, valueOf…) where a DTO reads them, keeping them as data elsewhere', async () => {
    const tenant = await createTenant(ctx, { tier: 'pro' });
    const auth = `Bearer ${tenant.token('admin')}`;
    const refused: Array<[string, string, Record<string, unknown>, string]> = [
      ['post', '/api/v1/templates', { name: 'tsx', toString: 'oops' }, 'toString'],
      ['post', '/api/v1/templates', { name: 'tsy', config: { isPrototypeOf: 'x' } }, 'config.isPrototypeOf'],
      ['post', '/api/v1/agents', { name: 'a1', config: { valueOf: 1 } }, 'config.valueOf'],
      ['post', '/api/v1/api-keys', { name: 'k', role: 'viewer', hasOwnProperty: 1 }, 'hasOwnProperty'],
    ];
    for (const [method, path, body, field] of refused) {
      const res = await (method === 'post' ? ctx.http.post(path) : ctx.http.patch(path))
        .set('Authorization', auth)
        .send(body);
      const error = expectError(res, 400, 'VALIDATION_FAILED');
      expect(error.details).toEqual([expect.objectContaining({ field, code: 'unknownField' })]);
    }
    for (const query of ['toString=1', 'valueOf=1', 'hasOwnProperty=x']) {
      const error = expectError(
        await ctx.http.get(`/api/v1/templates?${query}`).set('Authorization', auth),
        400,
        'VALIDATION_FAILED',
      );
      expect(error.details).toEqual([expect.objectContaining({ code: 'unknownField' })]);
    }
    const templates = await ctx.http.get('/api/v1/templates?scope=tenant').set('Authorization', auth);
    expect(templates.body.total).toBe(0);
    // In free-form JSON they are data, stored as sent.
    const metadata = { toString: 1, valueOf: { hasOwnProperty: 2 } };
    const agent = await ctx.http
      .post('/api/v1/agents')
      .set('Authorization', auth)
      .send({ name: 'kept', metadata });
    expect(agent.status).toBe(201);
    expect(agent.body.metadata).toEqual(metadata);
  });
});
