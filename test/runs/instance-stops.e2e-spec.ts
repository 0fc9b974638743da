import { createTenant } from '../factories/tenant.factory';
import { AppProcess, startAppProcessOn } from '../helpers/app-process';
import { OpenAiCompatibleServer } from '../helpers/openai-compatible-server';
import { SseClient } from '../helpers/sse-client';
import { postSse } from '../helpers/sse-post';
import { createTestDatabase, TestDatabase } from '../helpers/test-database';
import { startTestApp, TestApp } from '../helpers/test-app';
import { dataOf, openAiAgent, waitForStatus } from './run-helpers';

/** An app process executing a run is killed (SIGKILL) or stopped (SIGTERM); another instance takes over. */
describe('a run whose instance stops', () => {
  let database: TestDatabase;
  let upstream: OpenAiCompatibleServer;
  const procs: AppProcess[] = [];
  /** Closed by their test; whatever a failed one left open is closed at the end. */
  const survivors: TestApp[] = [];
  const close = (survivor: TestApp) => {
    survivors.splice(survivors.indexOf(survivor), 1);
    return survivor.close();
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    upstream = await new OpenAiCompatibleServer(() => ({ chunks: [] })).start();
  });
  beforeEach(() => upstream.respondWith(() => ({ chunks: ['a ', 'b ', 'c '], hangAfter: 2 })));
  afterAll(async () => {
    for (const proc of procs) await proc.kill('SIGKILL');
    for (const survivor of survivors) await survivor.close();
    await upstream.close();
    await database.drop();
  });

  /**
   * An app process (under `prefix` on Redis) with a tenant and an agent on the upstream; `chat`
   * opens a streamed chat there and waits for its first four events (run_started, step_started,
   * two deltas), after which the upstream hangs.
   */
  async function processWithAgent(prefix: string, env: Record<string, string>) {
    const started = await startAppProcessOn(database.url, prefix, env);
    const proc = started.proc;
    procs.push(proc);
    const viaProc = { ...started.viaProc } as unknown as TestApp;
    const tenant = await createTenant(viaProc, { tier: 'pro' });
    const operator = `Bearer ${tenant.token('operator')}`;
    const agent = await openAiAgent(viaProc, tenant, upstream.baseUrl, { tools: [] });
    const chat = async (extra: Record<string, unknown> = {}) => {
      const sse = await postSse(
        `${proc.url}/api/v1/chat`,
        { Authorization: operator },
        { agent_id: agent.id, message: 'hi', stream: true, ...extra },
      );
      await sse.waitFor(4);
      return { sse, runId: dataOf(sse.events[0]).run_id as string };
    };
    /** A chat queued behind the session's running one: its stream names the run at once. */
    const enqueue = async (sessionId: string) => {
      const sse = await postSse(
        `${proc.url}/api/v1/chat`,
        { Authorization: operator },
        { agent_id: agent.id, message: 'next', stream: true, session_id: sessionId, multitask: 'enqueue' },
      );
      return sse.headers['x-run-id'] as string;
    };
    return { proc, operator, chat, enqueue };
  }

  it('is marked interrupted by another instance after SIGKILL, and resume there completes it', async () => {
    const prefix = `agentry-test-kill-${process.pid}:`;
    const { proc, operator, chat, enqueue } = await processWithAgent(prefix, { RUN_HEARTBEAT_MS: '200' });
    const { sse, runId } = await chat();
    const queuedId = await enqueue(sse.headers['x-session-id'] as string);
    await proc.kill('SIGKILL');
    upstream.respondWith(() => ({ chunks: ['all ', 'done'] }));

    const survivor = await startTestApp({
      database,
      env: { REDIS_PREFIX: prefix, RUN_HEARTBEAT_MS: '200', RUN_INTERRUPTED_AFTER_MS: '1000' },
    });
    survivors.push(survivor);
    const interrupted = await waitForStatus(survivor, operator, runId, ['interrupted']);
    expect(interrupted.status).toBe('interrupted');
    const events = await survivor.http
      .get(`/api/v1/runs/${runId}/events?limit=100`)
      .set('Authorization', operator);
    expect(events.body.events[events.body.events.length - 1].type).toBe('run_interrupted');
    // The session's queued run no longer waits for a run that is not running: it starts there.
    const next = await waitForStatus(survivor, operator, queuedId, ['completed']);
    expect(next.response_content).toBe('all done');

    const resumed = await survivor.http.post(`/api/v1/runs/${runId}/resume`).set('Authorization', operator);
    expect(resumed.body).toEqual({ run_id: runId, status: 'running', message: 'Run resumed' });
    const run = await waitForStatus(survivor, operator, runId, ['completed']);
    expect(run.response_content).toBe('all done');
    const log = await survivor.http
      .get(`/api/v1/runs/${runId}/events?limit=100`)
      .set('Authorization', operator);
    // In seq order; from the sweep's event on, one after the other (it skips past what the killed
    // instance may have streamed without storing).
    const stored: Array<{ seq: number; type: string }> = log.body.events;
    const swept = stored.findIndex((e) => e.type === 'run_interrupted');
    expect(stored.map((e) => e.seq)).toEqual([...stored.map((e) => e.seq)].sort((a, b) => a - b));
    expect(stored.slice(swept).map((e) => e.seq - stored[swept].seq)).toEqual(
      stored.slice(swept).map((_, i) => i),
    );
    expect(stored.slice(swept).map((e) => e.type)).toEqual(
      expect.arrayContaining(['run_interrupted', 'run_resumed', 'run_completed']),
    );
    // Closed here: its sweep, a second apart, would take the next test's runs.
    await close(survivor);
  });

  it('never reuses a seq the killed instance streamed without storing: streams go on past it', async () => {
    const prefix = `agentry-test-lost-${process.pid}:`;
    // Nothing it streams is stored before it dies: its events wait for a write 10 s away.
    const { proc, operator, chat } = await processWithAgent(prefix, {
      RUN_HEARTBEAT_MS: '200',
      RUN_EVENT_FLUSH_MS: '10000',
    });
    const survivor = await startTestApp({
      database,
      env: { REDIS_PREFIX: prefix, RUN_HEARTBEAT_MS: '200', RUN_INTERRUPTED_AFTER_MS: '1000' },
    });
    survivors.push(survivor);
    const { sse, runId } = await chat();
    const seen = Number(sse.events[sse.events.length - 1].id);
    expect(seen).toBe(4);
    // Its client comes back to the other instance, live before and after the sweep.
    const rejoined = await SseClient.open(`${survivor.url}/api/v1/runs/${runId}/stream`, {
      Authorization: operator,
      'Last-Event-ID': String(seen),
    });
    expect(rejoined.status).toBe(200);
    await proc.kill('SIGKILL');
    upstream.respondWith(() => ({ chunks: ['all ', 'done'] }));

    await waitForStatus(survivor, operator, runId, ['interrupted']);
    const [interrupted] = await rejoined.waitFor(1);
    expect(interrupted.event).toBe('run_interrupted');
    expect(Number(interrupted.id)).toBeGreaterThan(seen);
    // A client that reconnects only now gets it too.
    const late = await SseClient.open(`${survivor.url}/api/v1/runs/${runId}/stream`, {
      Authorization: operator,
      'Last-Event-ID': String(seen),
    });
    expect((await late.waitFor(1)).map((e) => `${e.id} ${e.event}`)).toEqual([
      `${interrupted.id} run_interrupted`,
    ]);

    const resumed = await survivor.http.post(`/api/v1/runs/${runId}/resume`).set('Authorization', operator);
    expect(resumed.status).toBe(200);
    for (const stream of [rejoined, late]) {
      await stream.ended();
      const ids = stream.events.map((e) => Number(e.id));
      expect(ids).toEqual(ids.map((_, i) => Number(interrupted.id) + i));
      expect(stream.events.map((e) => e.event)).toEqual(
        expect.arrayContaining(['run_interrupted', 'run_resumed', 'run_completed']),
      );
      expect(stream.events[stream.events.length - 1].event).toBe('run_completed');
    }
    const log = await survivor.http
      .get(`/api/v1/runs/${runId}/events?limit=100`)
      .set('Authorization', operator);
    expect(log.body.events.map((e: { seq: number; type: string }) => `${e.seq} ${e.type}`)).toEqual(
      rejoined.events.map((e) => `${e.id} ${e.event}`),
    );
    expect(Object.keys(log.body.events[0]).sort()).toEqual(['data', 'seq', 'timestamp', 'type']);
    await close(survivor);
  });

  it('ends the streams, hands the run back as interrupted at once, and exits 0 within its timeout', async () => {
    const prefix = `agentry-test-term-${process.pid}:`;
    const started = await processWithAgent(prefix, {
      // Past this the process gives up and exits 1: open streams used to hold it that long.
      SHUTDOWN_TIMEOUT_MS: '5000',
    });
    const { proc, operator } = started;
    const firstRequest = upstream.requests.length;
    const { sse: chat, runId } = await started.chat();
    // A chat that asked to be cancelled if its client goes away: the shutdown is no such thing.
    const { sse: watched, runId: watchedId } = await started.chat({ on_disconnect: 'cancel' });
    const queuedId = await started.enqueue(chat.headers['x-session-id'] as string);
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
    expect(await upstream.requests[firstRequest].clientClosed).toBe(true);
    await changes.body();
    upstream.respondWith(() => ({ chunks: ['all ', 'done'] }));

    // No sweep is needed: another instance that would wait an hour for one finds it interrupted.
    const survivor = await startTestApp({
      database,
      env: { REDIS_PREFIX: prefix, RUN_INTERRUPTED_AFTER_MS: '3600000' },
    });
    survivors.push(survivor);
    const run = await survivor.http.get(`/api/v1/runs/${runId}`).set('Authorization', operator);
    expect(run.body.status).toBe('interrupted');
    // The queued run behind it was not started by the stopping instance; a live one starts it.
    const next = await waitForStatus(survivor, operator, queuedId, ['completed']);
    expect(next.response_content).toBe('all done');
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

    const resumed = await survivor.http.post(`/api/v1/runs/${runId}/resume`).set('Authorization', operator);
    expect(resumed.body).toEqual({ run_id: runId, status: 'running', message: 'Run resumed' });
    const completed = await waitForStatus(survivor, operator, runId, ['completed']);
    expect(completed.response_content).toBe('all done');
    await close(survivor);
  });
});
