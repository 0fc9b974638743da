import { createTenant, TestTenant } from '../factories/tenant.factory';
import { loadSpec, specOperations } from '../helpers/openapi-spec';
import { describeRouteMatrix, MatrixRoute } from '../helpers/route-matrix';
import { postSse } from '../helpers/sse-post';
import { startTestApp, TestApp } from '../helpers/test-app';
import { dataOf, scriptedAgent } from './run-helpers';

/** A run of tenant A with what it had when made, to tell that another tenant's request changed nothing. */
interface Fixture {
  agentId: string;
  runId: string;
  /** Its first checkpoint; none yet for a run still in its first step. */
  checkpointId: string | null;
  /** Counted for a completed run; a live one is only acted on by a happy path, which needs none. */
  events: number;
  checkpoints: number;
}

/** The run a route's happy path acts on; the other cases act on a completed one. */
type RunState = 'completed' | 'running' | 'paused';

interface RunRoute extends MatrixRoute<Fixture> {
  state?: RunState;
}

const runPath = (f: Fixture, rest = '') => `/api/v1/runs/${f.runId}${rest}`;
const checkpointPath = (f: Fixture, rest = '') => `/api/v1/checkpoints/${f.checkpointId}${rest}`;
const BAD_RUN = '/api/v1/runs/not-a-uuid';

const ROUTES: RunRoute[] = [
  {
    op: 'listRuns',
    method: 'get',
    path: () => '/api/v1/runs',
    ok: 200,
    weaker: 'service',
    bad: { path: () => '/api/v1/runs?status=sleeping' },
    answer: (res, f) => expect(res.body.items.map((run: { id: string }) => run.id)).toContain(f.runId),
  },
  {
    op: 'getRun',
    method: 'get',
    path: (f) => runPath(f),
    ok: 200,
    weaker: 'service',
    bad: { path: () => BAD_RUN },
    notFound: 'RUN_NOT_FOUND',
    answer: (res, f) => {
      expect(res.body).toEqual(expect.objectContaining({ id: f.runId, status: 'completed' }));
      expect(res.body.steps).toHaveLength(1);
    },
  },
  {
    op: 'listRunEvents',
    method: 'get',
    path: (f) => runPath(f, '/events'),
    ok: 200,
    weaker: 'service',
    bad: { path: (f) => runPath(f, '/events?limit=0') },
    notFound: 'RUN_NOT_FOUND',
    answer: (res, f) =>
      expect(res.body).toEqual(expect.objectContaining({ run_id: f.runId, total: f.events })),
  },
  {
    op: 'streamRun',
    method: 'get',
    path: (f) => runPath(f, '/stream'),
    ok: 200,
    weaker: 'service',
    bad: { path: (f) => runPath(f, '/stream?after=abc') },
    notFound: 'RUN_NOT_FOUND',
    answer: (res) => {
      expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
      expect(res.text).toMatch(/^id: 1\nevent: run_started\n/);
      expect(res.text).toContain('event: run_completed');
    },
  },
  {
    op: 'pauseRun',
    method: 'post',
    path: (f) => runPath(f, '/pause'),
    ok: 200,
    weaker: 'viewer',
    bad: { path: () => `${BAD_RUN}/pause` },
    notFound: 'RUN_NOT_FOUND',
    state: 'running',
    answer: (res, f) =>
      expect(res.body).toEqual({ run_id: f.runId, status: 'paused', message: 'Run paused' }),
  },
  {
    op: 'resumeRun',
    method: 'post',
    path: (f) => runPath(f, '/resume'),
    ok: 200,
    weaker: 'viewer',
    bad: { path: () => `${BAD_RUN}/resume` },
    notFound: 'RUN_NOT_FOUND',
    state: 'paused',
    answer: (res, f) =>
      expect(res.body).toEqual({ run_id: f.runId, status: 'running', message: 'Run resumed' }),
  },
  {
    op: 'cancelRun',
    method: 'post',
    path: (f) => runPath(f, '/cancel'),
    ok: 200,
    weaker: 'viewer',
    bad: { path: () => `${BAD_RUN}/cancel` },
    notFound: 'RUN_NOT_FOUND',
    state: 'running',
    answer: (res, f) =>
      expect(res.body).toEqual({ run_id: f.runId, status: 'cancelled', message: 'Run cancelled' }),
  },
  {
    op: 'listRunCheckpoints',
    method: 'get',
    path: (f) => runPath(f, '/checkpoints'),
    ok: 200,
    weaker: 'service',
    bad: { path: (f) => runPath(f, '/checkpoints?offset=-1') },
    notFound: 'RUN_NOT_FOUND',
    answer: (res, f) =>
      expect(res.body).toEqual(expect.objectContaining({ run_id: f.runId, total: f.checkpoints })),
  },
  {
    op: 'createRunCheckpoint',
    method: 'post',
    path: (f) => runPath(f, '/checkpoints'),
    body: () => ({ description: 'before the demo', tags: ['demo'] }),
    ok: 201,
    weaker: 'viewer',
    bad: { body: { description: 5 } },
    notFound: 'RUN_NOT_FOUND',
    answer: (res) =>
      expect(res.body).toEqual(expect.objectContaining({ description: 'before the demo', tags: ['demo'] })),
  },
  {
    op: 'getCheckpoint',
    method: 'get',
    path: (f) => checkpointPath(f),
    ok: 200,
    weaker: 'service',
    bad: { path: () => '/api/v1/checkpoints/nope' },
    notFound: 'CHECKPOINT_NOT_FOUND',
    answer: (res, f) =>
      expect(res.body).toEqual(expect.objectContaining({ id: f.checkpointId, run_id: f.runId })),
  },
  {
    op: 'restoreCheckpoint',
    method: 'post',
    path: (f) => checkpointPath(f, '/restore'),
    body: () => ({ create_new_run: true }),
    ok: 201,
    weaker: 'viewer',
    bad: { body: { modifications: { modified_query: 7 } } },
    notFound: 'CHECKPOINT_NOT_FOUND',
    answer: (res, f) => expect(res.body.new_run_id).not.toBe(f.runId),
  },
  {
    op: 'forkCheckpoint',
    method: 'post',
    path: (f) => checkpointPath(f, '/fork'),
    body: () => ({ description: 'shorter', modifications: { system_prompt: 'Be brief.' } }),
    ok: 201,
    weaker: 'viewer',
    bad: { body: { modifications: { system_prompt: ['Be brief.'] } } },
    notFound: 'CHECKPOINT_NOT_FOUND',
    answer: (res, f) => expect(res.body.new_run_id).not.toBe(f.runId),
  },
  {
    op: 'chat',
    method: 'post',
    path: () => '/api/v1/chat',
    body: (f) => ({ agent_id: f.agentId, message: 'again' }),
    ok: 200,
    weaker: 'viewer',
    bad: { body: { message: 'which agent?' } },
    notFound: 'AGENT_NOT_FOUND',
    answer: (res) => expect(res.body.response).toBe('hi'),
  },
];

describe('run, checkpoint and chat routes: happy path, 400, 401, 403 and 404 for each', () => {
  let ctx: TestApp;
  let a: TestTenant;
  let b: TestTenant;

  beforeAll(async () => {
    ctx = await startTestApp();
    a = await createTenant(ctx, { tier: 'pro' });
    b = await createTenant(ctx, { tier: 'pro' });
  });
  afterAll(() => ctx.close());

  const viewer = () => `Bearer ${a.token('viewer')}`;
  const operator = () => `Bearer ${a.token('operator')}`;
  const totalOf = async (path: string) =>
    (await ctx.http.get(path).set('Authorization', viewer())).body.total as number;

  /** A completed run of a fresh agent, its answer `hi`. */
  async function completedRun(): Promise<Fixture> {
    const agent = await scriptedAgent(ctx, a, ['hi']);
    const chat = await ctx.http
      .post('/api/v1/chat')
      .set('Authorization', operator())
      .send({ agent_id: agent.id, message: 'hello' });
    expect(chat.status).toBe(200);
    const runId = chat.body.run_id as string;
    const checkpoints = await ctx.http
      .get(`/api/v1/runs/${runId}/checkpoints`)
      .set('Authorization', viewer());
    return {
      agentId: agent.id,
      runId,
      checkpointId: checkpoints.body.checkpoints[0].id as string,
      events: await totalOf(`/api/v1/runs/${runId}/events`),
      checkpoints: checkpoints.body.total as number,
    };
  }

  /** A run in its first step (a second of model time before a tool call), or paused after it. */
  async function liveRun(state: 'running' | 'paused'): Promise<Fixture> {
    const agent = await scriptedAgent(
      ctx,
      a,
      [
        {
          content: 'Adding. ',
          tool_calls: [{ name: 'calculator', arguments: { expression: '2+3' } }],
          delay_ms: 1000,
        },
        { content: 'Five.', delay_ms: 300 },
      ],
      { tools: ['calculator'] },
    );
    const sse = await postSse(
      `${ctx.url}/api/v1/chat`,
      { Authorization: operator() },
      { agent_id: agent.id, message: 'add', stream: true },
    );
    const [started] = await sse.waitFor(1);
    // The run goes on without its client (on_disconnect defaults to continue).
    sse.close();
    const runId = dataOf(started).run_id as string;
    if (state === 'paused') {
      const paused = await ctx.http.post(`/api/v1/runs/${runId}/pause`).set('Authorization', operator());
      expect(paused.body.status).toBe('paused');
    }
    return { agentId: agent.id, runId, checkpointId: null, events: 0, checkpoints: 0 };
  }

  it('covers every run, checkpoint and chat route', () => {
    const ours = specOperations(loadSpec())
      .filter((operation) => /^\/api\/v1\/(runs|checkpoints|chat)\b/.test(operation.path))
      .map((operation) => operation.operationId);
    expect(ROUTES.map((route) => route.op).sort()).toEqual(ours.sort());
  });

  describeRouteMatrix<Fixture, RunRoute>({
    routes: ROUTES,
    env: () => ({ ctx, a, b }),
    roles: { ok: 'operator', bad: 'operator' },
    fixture: (route, happy) => {
      const state = happy ? (route.state ?? 'completed') : 'completed';
      return state === 'completed' ? completedRun() : liveRun(state);
    },
    async untouched(f) {
      const run = await ctx.http.get(runPath(f)).set('Authorization', viewer());
      expect(run.body.status).toBe('completed');
      expect(await totalOf(runPath(f, '/events'))).toBe(f.events);
      expect(await totalOf(runPath(f, '/checkpoints'))).toBe(f.checkpoints);
      // No run was added for the agent (a chat, a restore or a fork on B's behalf).
      expect(await totalOf(`/api/v1/runs?agent_id=${f.agentId}`)).toBe(1);
    },
    async unseen(_route, f, res) {
      expect(res.body.items.map((run: { id: string }) => run.id)).not.toContain(f.runId);
    },
  });
});
