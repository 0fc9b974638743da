import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import fc from 'fast-check';
import { createTenant, TestTenant } from '../factories/tenant.factory';
import { startTestApp, TestApp } from '../helpers/test-app';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Config = Record<string, Json>;

// The model below is written from the API contract, independently of the server's code.
const DEFAULTS: Config = {
  description: null,
  system_prompt: null,
  model: null,
  tools: [],
  memory: null,
  knowledge: null,
  config: {},
  metadata: {},
};

function isObject(value: unknown): value is Record<string, Json> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** RFC 7396. */
function mergePatch(target: Json | undefined, patch: Json): Json {
  if (!isObject(patch)) return patch;
  const result: Record<string, Json> = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

/** What the server must store for a body: every config field, absent or null meaning "none". */
function expectedConfig(body: Record<string, Json | undefined>): Config {
  const config: Config = {};
  for (const [key, fallback] of Object.entries(DEFAULTS)) config[key] = body[key] ?? fallback;
  const params = isObject(config.config) ? config.config : {};
  config.config = Object.fromEntries(Object.entries(params).filter(([, value]) => value !== null));
  return JSON.parse(JSON.stringify(config)) as Config;
}

function hash(config: Config): string {
  return `sha256:${createHash('sha256')
    .update(canonicalize(config) as string)
    .digest('hex')}`;
}

const name = fc.stringMatching(/^[a-z][a-z0-9_]{0,11}$/);
const text = fc.string({ unit: 'grapheme', maxLength: 40 }).filter((s) => !s.includes('\u0000'));
// Keys the API refuses anywhere in a body (400): Nest's ValidationPipe would otherwise drop them.
const noProto = (value: Json) => !/"(__proto__|constructor|prototype)":/.test(JSON.stringify(value));
const metadata = fc
  .dictionary(
    fc.string({ minLength: 1, maxLength: 6 }),
    fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>,
    {
      maxKeys: 4,
    },
  )
  .filter(noProto);
// References must name existing components (the review refuses others): the tenant factory's.
const modelName = fc.constant('gpt4');
const toolNames = fc.uniqueArray(fc.constantFrom('search', 'ticket', 'calculator'), { maxLength: 3 });
const memoryName = fc.constant('session_memory');
const knowledgeName = fc.constant('product_docs');
// An inline model is held to the model component's schema: a scripted one needs its replies.
const model = fc.oneof(
  modelName,
  fc.record({ provider: fc.constant('openai'), model: name }),
  fc.record({ provider: fc.constant('scripted'), model: name, replies: fc.array(name, { maxLength: 2 }) }),
);
const params = fc.record(
  {
    temperature: fc.double({ min: 0, max: 2, noNaN: true }),
    top_p: fc.double({ min: 0, max: 1, noNaN: true }),
    max_tokens: fc.integer({ min: 1, max: 100_000 }),
    max_steps: fc.integer({ min: 1, max: 50 }),
  },
  { requiredKeys: [] },
);
const fullBody = fc.record(
  {
    description: fc.option(text),
    system_prompt: fc.option(text),
    model: fc.option(model),
    tools: toolNames,
    memory: fc.option(memoryName),
    knowledge: fc.option(knowledgeName),
    config: params,
    metadata,
  },
  { requiredKeys: [] },
);
const patchBody = fc.record(
  {
    description: fc.option(text),
    system_prompt: fc.option(text),
    model: fc.option(model),
    tools: fc.option(toolNames),
    memory: fc.option(memoryName),
    knowledge: fc.option(knowledgeName),
    config: fc.option(
      fc.record(
        {
          temperature: fc.option(fc.double({ min: 0, max: 2, noNaN: true })),
          max_steps: fc.option(fc.integer({ min: 1, max: 50 })),
        },
        { requiredKeys: [] },
      ),
    ),
    metadata: fc.option(metadata),
  },
  { requiredKeys: [] },
);

type Op =
  | { kind: 'put'; body: Record<string, Json> }
  | { kind: 'patch'; body: Record<string, Json> }
  | { kind: 'rollback'; version: number }
  | { kind: 'label'; label: string; version: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fullBody.map((body) => ({ kind: 'put' as const, body: body as Record<string, Json> })),
  patchBody.map((body) => ({ kind: 'patch' as const, body: body as Record<string, Json> })),
  fc.integer({ min: 1, max: 8 }).map((version) => ({ kind: 'rollback' as const, version })),
  fc.record({
    kind: fc.constant('label' as const),
    label: fc.constantFrom('staging', 'production'),
    version: fc.integer({ min: 1, max: 8 }),
  }),
);

describe('agent versions (property)', () => {
  let ctx: TestApp;
  let tenant: TestTenant;
  let auth: string;

  beforeAll(async () => {
    ctx = await startTestApp();
    tenant = await createTenant(ctx, { tier: 'enterprise' });
    auth = `Bearer ${tenant.token('admin')}`;
  });
  afterAll(() => ctx.close());

  it('random create/update/patch/rollback/label sequences keep versions 1..N, the configs sent and their canonical hashes', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fullBody, fc.array(op, { maxLength: 8 }), async (initial, ops) => {
        run += 1;
        const agentName = `prop_${run}`;
        const created = await ctx.http
          .post('/api/v1/agents')
          .set('Authorization', auth)
          .send({ name: agentName, ...initial });
        expect(created.status).toBe(201);
        const id = created.body.id as string;
        const versions: Config[] = [expectedConfig(initial as Record<string, Json>)];
        const labels: Record<string, number> = {};
        const current = () => versions[versions.length - 1];
        const record = (next: Config) => {
          if (canonicalize(next) !== canonicalize(current())) versions.push(next);
        };

        for (const step of ops) {
          if (step.kind === 'put') {
            const res = await ctx.http
              .put(`/api/v1/agents/${id}`)
              .set('Authorization', auth)
              .send({ name: agentName, ...step.body });
            expect(res.status).toBe(200);
            record(expectedConfig(step.body));
            expect(res.body.version).toBe(versions.length);
          } else if (step.kind === 'patch') {
            const res = await ctx.http
              .patch(`/api/v1/agents/${id}`)
              .set('Authorization', auth)
              .send(step.body);
            expect(res.status).toBe(200);
            record(expectedConfig(mergePatch(current(), step.body) as Record<string, Json>));
            expect(res.body.version).toBe(versions.length);
          } else if (step.kind === 'rollback') {
            const res = await ctx.http
              .post(`/api/v1/agents/${id}/rollback`)
              .set('Authorization', auth)
              .set('If-Match', `"${versions.length}"`)
              .send({ version: step.version });
            if (step.version > versions.length) {
              expect(res.status).toBe(404);
              continue;
            }
            expect(res.status).toBe(200);
            record(versions[step.version - 1]);
            expect(res.body.version).toBe(versions.length);
          } else {
            const res = await ctx.http
              .put(`/api/v1/agents/${id}/labels/${step.label}`)
              .set('Authorization', auth)
              .send({ version: step.version });
            if (step.version > versions.length) {
              expect(res.status).toBe(404);
              continue;
            }
            expect(res.status).toBe(200);
            labels[step.label] = step.version;
          }
        }

        const list = await ctx.http.get(`/api/v1/agents/${id}/versions?limit=100`).set('Authorization', auth);
        expect(list.body.total).toBe(versions.length);
        expect(list.body.items.map((v: { version: number }) => v.version)).toEqual(
          versions.map((_, i) => versions.length - i),
        );
        for (let n = 1; n <= versions.length; n++) {
          const res = await ctx.http.get(`/api/v1/agents/${id}/versions/${n}`).set('Authorization', auth);
          expect(res.body.config).toEqual(versions[n - 1]);
          expect(res.body.config_hash).toBe(hash(res.body.config as Config));
          expect(res.body.config_hash).toBe(hash(versions[n - 1]));
        }
        const agent = await ctx.http.get(`/api/v1/agents/${id}`).set('Authorization', auth);
        expect(agent.body.version).toBe(versions.length);
        expect(agent.body.labels).toEqual(labels);
        expect(agent.headers.etag).toBe(`"${versions.length}"`);
      }),
      { numRuns: Number(process.env.PROPERTY_RUNS ?? 40) },
    );
  }, 300_000);
});
