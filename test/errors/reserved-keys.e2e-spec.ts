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
});
