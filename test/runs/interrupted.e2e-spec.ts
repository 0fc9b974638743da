import request from 'supertest';
import { createTenant } from '../factories/tenant.factory';
import { startAppProcess, AppProcess } from '../helpers/app-process';
import { OpenAiCompatibleServer } from '../helpers/openai-compatible-server';
import { postSse } from '../helpers/sse-post';
import { createTestDatabase, TestDatabase } from '../helpers/test-database';
import { startTestApp, TestApp } from '../helpers/test-app';
import { TEST_JWT_SECRET } from '../helpers/tokens';
import { dataOf, openAiAgent, waitForStatus } from './run-helpers';

describe('a run whose instance dies', () => {
  let database: TestDatabase;
  let upstream: OpenAiCompatibleServer;
  let proc: AppProcess | undefined;
  let survivor: TestApp | undefined;

  beforeAll(async () => {
    database = await createTestDatabase();
    upstream = await new OpenAiCompatibleServer(() => ({ chunks: ['a ', 'b ', 'c '], hangAfter: 2 })).start();
  });
  afterAll(async () => {
    await proc?.kill('SIGKILL');
    await survivor?.close();
    await upstream.close();
    await database.drop();
  });

  it('is marked interrupted by another instance after SIGKILL, and resume there completes it', async () => {
    const prefix = `agentry-test-kill-${process.pid}:`;
    proc = await startAppProcess({
      DATABASE_URL: database.url,
      REDIS_URL: process.env.AGENTRY_TEST_REDIS_URL as string,
      REDIS_PREFIX: prefix,
      JWT_SECRET: TEST_JWT_SECRET,
      RUN_HEARTBEAT_MS: '200',
    });
    const viaProc = { http: request(proc.url), url: proc.url } as unknown as TestApp;
    const tenant = await createTenant(viaProc, { tier: 'pro' });
    const operator = `Bearer ${tenant.token('operator')}`;
    const agent = await openAiAgent(viaProc, tenant, upstream.baseUrl, { tools: [] });

    const sse = await postSse(
      `${proc.url}/api/v1/chat`,
      { Authorization: operator },
      { agent_id: agent.id, message: 'hi', stream: true },
    );
    await sse.waitFor(4); // run_started, step_started, 2 deltas; the upstream then hangs
    const runId = dataOf(sse.events[0]).run_id as string;
    await proc.kill('SIGKILL');

    survivor = await startTestApp({
      database,
      env: { REDIS_PREFIX: prefix, RUN_HEARTBEAT_MS: '200', RUN_INTERRUPTED_AFTER_MS: '1000' },
    });
    const interrupted = await waitForStatus(survivor, operator, runId, ['interrupted']);
    expect(interrupted.status).toBe('interrupted');
    const events = await survivor.http
      .get(`/api/v1/runs/${runId}/events?limit=100`)
      .set('Authorization', operator);
    expect(events.body.events[events.body.events.length - 1].type).toBe('run_interrupted');

    upstream.respondWith(() => ({ chunks: ['all ', 'done'] }));
    const resumed = await survivor.http.post(`/api/v1/runs/${runId}/resume`).set('Authorization', operator);
    expect(resumed.body).toEqual({ run_id: runId, status: 'running', message: 'Run resumed' });
    const run = await waitForStatus(survivor, operator, runId, ['completed']);
    expect(run.response_content).toBe('all done');
    const log = await survivor.http
      .get(`/api/v1/runs/${runId}/events?limit=100`)
      .set('Authorization', operator);
    const seqs = log.body.events.map((e: { seq: number }) => e.seq);
    expect(seqs).toEqual(seqs.map((_: number, i: number) => i + 1));
    expect(log.body.events.map((e: { type: string }) => e.type)).toEqual(
      expect.arrayContaining(['run_interrupted', 'run_resumed', 'run_completed']),
    );
  });
});
