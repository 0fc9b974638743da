import { createAgent } from '../factories/agent.factory';
import { createTenant, TestTenant } from '../factories/tenant.factory';
import { expectError } from '../helpers/envelope';
import { SseClient } from '../helpers/sse-client';
import { startTestApp, TestApp } from '../helpers/test-app';
import { platformToken, signToken } from '../helpers/tokens';

// Streams are checked again this often here (15 s by default).
const RECHECK_MS = 200;

describe('open streams keep to their credentials', () => {
  let ctx: TestApp;

  beforeAll(async () => {
    ctx = await startTestApp({ env: { SSE_AUTH_RECHECK_MS: String(RECHECK_MS) } });
  });
  afterAll(() => ctx.close());

  const open = (path: string, headers: Record<string, string>) =>
    SseClient.open(`${ctx.url}${path}`, headers);
  const newKey = async (tenant: TestTenant, role: string) => {
    const res = await ctx.http
      .post('/api/v1/api-keys')
      .set('Authorization', `Bearer ${tenant.token('owner')}`)
      .send({ name: `${role}-key`, role });
    expect(res.status).toBe(201);
    return res.body as { id: string; key: string };
  };
  /** Resolves once the server has ended the stream; the reason is its last comment. */
  const endOf = async (stream: SseClient) => {
    await stream.ended();
    return stream.comments[stream.comments.length - 1];
  };

  it('a stream of a revoked API key ends, and its reconnect is 401; a valid key keeps its stream', async () => {
    const tenant = await createTenant(ctx);
    const revoked = await newKey(tenant, 'viewer');
    const kept = await newKey(tenant, 'viewer');
    const doomed = await open('/api/v1/events/stream', { 'X-API-Key': revoked.key });
    const staying = await open('/api/v1/events/stream', { 'X-API-Key': kept.key });
    expect([doomed.status, staying.status]).toEqual([200, 200]);

    const res = await ctx.http
      .delete(`/api/v1/api-keys/${revoked.id}`)
      .set('Authorization', `Bearer ${tenant.token('owner')}`);
    expect(res.status).toBe(204);
    expect(await endOf(doomed)).toBe('closed: API key revoked');
    expectError(
      await ctx.http.get('/api/v1/events/stream').set('X-API-Key', revoked.key),
      401,
      'UNAUTHENTICATED',
    );

    // Several checks later the other stream is open and delivers what happens.
    await new Promise((resolve) => setTimeout(resolve, 5 * RECHECK_MS));
    const agent = await createAgent(ctx, tenant);
    const [change] = await staying.waitFor(1);
    expect(JSON.parse(change.data)).toEqual(expect.objectContaining({ resource_id: agent.id }));
    staying.close();
  });

  it('a stream of a tenant deactivated ends, for its users and its service keys alike', async () => {
    const tenant = await createTenant(ctx);
    const service = await newKey(tenant, 'service');
    const user = await open('/api/v1/events/stream', { Authorization: `Bearer ${tenant.token('viewer')}` });
    const internal = await open('/internal/v1/changes/stream', { 'X-API-Key': service.key });
    expect([user.status, internal.status]).toEqual([200, 200]);

    await ctx.http
      .post(`/api/v1/tenants/${tenant.id}/deactivate`)
      .set('Authorization', `Bearer ${platformToken()}`)
      .expect(200);
    expect(await endOf(user)).toBe('closed: tenant deactivated');
    expect(await endOf(internal)).toBe('closed: tenant deactivated');
    expectError(
      await ctx.http.get('/api/v1/events/stream').set('Authorization', `Bearer ${tenant.token('viewer')}`),
      403,
      'TENANT_INACTIVE',
    );
  });

  it('a stream ends when its JWT expires', async () => {
    const tenant = await createTenant(ctx);
    const token = signToken({ sub: 'short-lived', tenant: tenant.id, roles: ['viewer'] }, { expiresIn: 1 });
    const stream = await open('/api/v1/events/stream', { Authorization: `Bearer ${token}` });
    expect(stream.status).toBe(200);
    expect(await endOf(stream)).toBe('closed: credentials expired');
    expectError(
      await ctx.http.get('/api/v1/events/stream').set('Authorization', `Bearer ${token}`),
      401,
      'UNAUTHENTICATED',
    );
  });
});
