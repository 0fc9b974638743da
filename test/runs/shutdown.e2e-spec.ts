import request from 'supertest';
import { createTenant } from '../factories/tenant.factory';
import { AppProcess, startAppProcess } from '../helpers/app-process';
import { OpenAiCompatibleServer } from '../helpers/openai-compatible-server';
import { SseClient } from '../helpers/sse-client';
import { postSse } from '../helpers/sse-post';
import { createTestDatabase, TestDatabase } from '../helpers/test-database';
import { startTestApp, TestApp } from '../helpers/test-app';
import { TEST_JWT_SECRET } from '../helpers/tokens';
import { dataOf, openAiAgent, waitForStatus } from './run-helpers';

describe('a graceful shutdown (SIGTERM) with runs and streams open', () => {
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

  it('ends the streams, hands the run back as interrupted at once, and exits 0 within its timeout', async () => {
    const prefix = `agentry-test-term-${process.pid}:`;
    proc = await startAppProcess({
      DATABASE_URL: database.url,
      REDIS_URL: process.env.AGENTRY_TEST_REDIS_URL as string,
      REDIS_PREFIX: prefix,
      JWT_SECRET: TEST_JWT_SECRET,
      // Past this the process gives up and exits 1: open streams used to hold it that long.
      SHUTDOWN_TIMEOUT_MS: '5000',
    });
    const viaProc = { http: request(proc.url), url: proc.url } as unknown as TestApp;
    const tenant = await createTenant(viaProc, { tier: 'pro' });
    const operator = `Bearer ${tenant.token('operator')}`;
    const agent = await openAiAgent(viaProc, tenant, upstream.baseUrl, { tools: [] });

    const chat = await postSse(
      `${proc.url}/api/v1/chat`,
      { Authorization: operator },
      { agent_id: agent.id, message: 'hi', stream: true },
    );
    await chat.waitFor(4); // run_started, step_started, 2 deltas; the upstream then hangs
    const runId = dataOf(chat.events[0]).run_id as string;
    // A chat that asked to be cancelled if its client goes away: the shutdown is no such thing.
    const watched = await postSse(
      `${proc.url}/api/v1/chat`,
      { Authorization: operator },
      { agent_id: agent.id, message: 'hi', stream: true, on_disconnect: 'cancel' },
    );
    await watched.waitFor(4);
    const watchedId = dataOf(watched.events[0]).run_id as string;
    const changes = await SseClient.open(`${proc.url}/api/v1/events/stream`, { Authorization: operator });
    expect(changes.status).toBe(200);

    await proc.kill('SIGTERM');
    expect(proc.child.exitCode).toBe(0);
    expect(proc.output()).not.toContain('shutdown took over');

    // The chat stream ends after telling why; the model call was aborted.
    await chat.body();
    const last = chat.events[chat.events.length - 1];
    expect(last.event).toBe('run_interrupted');
    expect(dataOf(last)).toEqual(
      expect.objectContaining({ run_id: runId, reason: 'the instance executing it shut down' }),
    );
    expect(chat.events.filter((e) => e.event === 'content_delta').map((e) => dataOf(e).content)).toEqual([
      'a ',
      'b ',
    ]);
    expect(await upstream.requests[0].clientClosed).toBe(true);
    await changes.body();

    // No sweep is needed: another instance that would wait an hour for one finds it interrupted.
    survivor = await startTestApp({
      database,
      env: { REDIS_PREFIX: prefix, RUN_INTERRUPTED_AFTER_MS: '3600000' },
    });
    const run = await survivor.http.get(`/api/v1/runs/${runId}`).set('Authorization', operator);
    expect(run.body.status).toBe('interrupted');
    await watched.body();
    expect(watched.events[watched.events.length - 1].event).toBe('run_interrupted');
    const kept = await survivor.http.get(`/api/v1/runs/${watchedId}`).set('Authorization', operator);
    expect(kept.body.status).toBe('interrupted');
    const stored = await survivor.http
      .get(`/api/v1/runs/${runId}/events?limit=100`)
      .set('Authorization', operator);
    // Every event the stream sent was stored, the deltas included, and nothing else.
    expect(stored.body.events.map((e: { seq: number; type: string }) => `${e.seq} ${e.type}`)).toEqual(
      chat.events.map((e) => `${e.id} ${e.event}`),
    );

    upstream.respondWith(() => ({ chunks: ['all ', 'done'] }));
    const resumed = await survivor.http.post(`/api/v1/runs/${runId}/resume`).set('Authorization', operator);
    expect(resumed.body).toEqual({ run_id: runId, status: 'running', message: 'Run resumed' });
    const completed = await waitForStatus(survivor, operator, runId, ['completed']);
    expect(completed.response_content).toBe('all done');
  });
});
