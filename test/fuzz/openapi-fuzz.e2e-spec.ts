import { randomBytes } from 'node:crypto';
import Ajv, { ValidateFunction } from 'ajv';
import fc from 'fast-check';
import { Client } from 'pg';
import { createAgent } from '../factories/agent.factory';
import { componentConfigs, putComponent } from '../factories/component.factory';
import { createApiKey, createTenant, TestTenant } from '../factories/tenant.factory';
import {
  deref,
  JsonSchema,
  loadSpec,
  minimalValue,
  OpenApiDocument,
  SpecOperation,
  specOperations,
} from '../helpers/openapi-spec';
import { startTestApp, TestApp } from '../helpers/test-app';
import { platformToken } from '../helpers/tokens';
import { scriptedAgent } from '../runs/run-helpers';
import { Body, bodyArbitrary, encodePathValue, nastyNumber, nastyString, safeStringify } from './fuzz-values';

/**
 * Every operation of openapi.json, fed generated requests: valid ones, valid ones with one field
 * broken, wrong types, huge and deep values, prototype keys, unicode edge cases, SQL and path
 * fragments, malformed JSON. Never a 5xx; every 4xx is the error envelope; every 2xx matches its
 * response schema; a rejected request changes no stored row; Object.prototype stays clean.
 * Operations that answer text/event-stream are fuzzed alike: a 2xx must be that stream (or another
 * answer the operation declares), and the connection is closed once its headers arrive.
 *
 * Bounded and seeded for CI; `npm run fuzz` runs long (FUZZ_RUNS per operation, FUZZ_SEED).
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 10);
const SEED = Number(process.env.FUZZ_SEED ?? 20261122);
/** URLs and headers past Node's 16 KB header limit are refused by its parser, not by the app. */
const MAX_URL_VALUE = 2_000;

interface Fixture {
  tenant: TestTenant;
  agentId: string;
  chatAgentId: string;
  templateId: string;
  componentName: string;
  apiKeyId: string;
  runId: string;
  checkpointId: string;
  otherTenantId: string;
}

function validParam(f: Fixture, path: string, name: string): string {
  const collection = path.split('/')[path.split('/').indexOf(`{${name}}`) - 1];
  if (name === 'version') return '1';
  if (name === 'label') return 'staging';
  if (name === 'idOrName') return f.agentId;
  const byCollection: Record<string, string> = {
    agents: f.agentId,
    templates: f.templateId,
    config: f.componentName,
    'api-keys': f.apiKeyId,
    runs: f.runId,
    checkpoints: f.checkpointId,
    tenants: f.otherTenantId,
  };
  return byCollection[collection] ?? '00000000-0000-4000-8000-000000000000';
}

/** The principal that holds the operation's permission. */
function authFor(f: Fixture, op: SpecOperation): Record<string, string> {
  if (op.permission === 'tenant:manage') return { Authorization: `Bearer ${platformToken()}` };
  if (op.permission === 'internal:read') return { Authorization: `Bearer ${f.tenant.token('service')}` };
  if (op.permission === undefined) return {};
  return { Authorization: `Bearer ${f.tenant.token('owner')}` };
}

function validBody(spec: OpenApiDocument, f: Fixture, op: SpecOperation): Record<string, unknown> {
  const schema = deref(spec, op.requestBody);
  const body = (minimalValue(spec, schema) ?? {}) as Record<string, unknown>;
  if (schema.properties?.agent_id) body.agent_id = f.chatAgentId;
  if (schema.properties?.config && op.path.startsWith('/api/v1/config/'))
    body.config = componentConfigs.tool();
  if (schema.properties?.message) body.message = 'hello';
  return body;
}

interface FuzzRequest {
  params: Record<string, string>;
  /** A list sends the parameter once per value. */
  query: Record<string, string | string[] | undefined>;
  /** Header parameters of the operation (`Last-Event-ID`). */
  headers: Record<string, string | undefined>;
  ifMatch: string | undefined;
  body: Body;
}

function requestArbitrary(spec: OpenApiDocument, f: Fixture, op: SpecOperation): fc.Arbitrary<FuzzRequest> {
  const urlValue = fc.oneof(nastyString, nastyNumber.map(String)).map((s) => s.slice(0, MAX_URL_VALUE));
  // What a client can send in a header at all: fetch refuses control characters and non-Latin-1.
  const headerValue = fc
    .oneof(nastyString, nastyNumber.map(String))
    .map((s) => s.replace(/[^\x20-\x7e]/g, '').slice(0, MAX_URL_VALUE));
  const params: Record<string, fc.Arbitrary<string>> = {};
  const query: Record<string, fc.Arbitrary<string | undefined>> = {};
  const headers: Record<string, fc.Arbitrary<string | undefined>> = {};
  for (const param of op.parameters) {
    if (param.in === 'path') {
      params[param.name] = fc.oneof(
        { weight: 2, arbitrary: fc.constant(validParam(f, op.path, param.name)) },
        { weight: 1, arbitrary: urlValue },
      );
    } else if (param.in === 'query') {
      query[param.name] = fc.oneof(
        fc.constant(undefined),
        fc.constant(String(minimalValue(spec, param.schema))),
        urlValue,
      );
    } else if (param.in === 'header') {
      headers[param.name] = fc.oneof(
        fc.constant(undefined),
        fc.constant(String(minimalValue(spec, param.schema))),
        fc.constant('0'),
        headerValue,
      );
    }
  }
  const body: fc.Arbitrary<Body> = op.requestBody
    ? fc.oneof(
        { weight: 6, arbitrary: bodyArbitrary(spec, op, validBody(spec, f, op)) },
        { weight: 1, arbitrary: fc.constant({ kind: 'none' as const }) },
      )
    : fc.constant({ kind: 'none' as const });
  return fc.record({
    params: fc.record(params),
    query: fc.record(query),
    headers: fc.record(headers),
    ifMatch: fc.option(fc.oneof(fc.constant('"1"'), fc.constant('*'), headerValue), { nil: undefined }),
    body,
  });
}

/**
 * A path parameter of "", "." or ".." is not a value: the URL resolves to another route (the list
 * at `/agents/`, or one segment up), whose answer the operation's schema does not describe.
 */
function reroutes(req: FuzzRequest): boolean {
  return Object.values(req.params).some((value) => value === '' || value === '.' || value === '..');
}

/** An operation with a text/event-stream answer (a stream, or chat with `stream: true`). */
function answersEventStream(op: SpecOperation): boolean {
  return Object.values(op.responses).some((response) => response.content?.['text/event-stream']);
}

/** Columns background work moves on its own (the relay marks events published). */
const VOLATILE_COLUMNS = ['published_at', 'last_used_at', 'heartbeat_at', 'lease_expires_at'];

/** A digest of every stored row (the relay's cursor aside), to show a rejected request wrote nothing. */
async function fingerprint(db: Client, tables: string[]): Promise<string> {
  const row = `(to_jsonb(x) ${VOLATILE_COLUMNS.map((c) => `- '${c}'`).join(' ')})::text`;
  const sql = tables
    .map(
      (t) =>
        `SELECT '${t}' AS t, md5(coalesce(string_agg(${row}, '|' ORDER BY ${row}), '')) AS h FROM "${t}" x`,
    )
    .join(' UNION ALL ');
  const { rows } = await db.query<{ t: string; h: string }>(sql);
  return rows.map((r) => `${r.t}:${r.h}`).join(',');
}

/** OpenAPI 3.0's `nullable` as JSON Schema: the value or null. */
function toJsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toJsonSchema);
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) out[key] = toJsonSchema(value);
  if (out.nullable === true) {
    delete out.nullable;
    return { anyOf: [out, { type: 'null' }] };
  }
  delete out.nullable;
  return out;
}

/**
 * The digest once background work is done: runs started by an earlier accepted request (a chat, a
 * restore, a fork) go on writing their steps, events and rollups after the response.
 */
async function settled(db: Client, tables: string[]): Promise<string> {
  let last = await fingerprint(db, tables);
  for (let attempt = 0; attempt < 200; attempt++) {
    const active = await db.query(`SELECT 1 FROM runs WHERE status IN ('queued', 'running')`);
    const now = await fingerprint(db, tables);
    if (active.rowCount === 0 && now === last) return now;
    last = now;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('background writes did not settle');
}

/** A body's fields down to `depth` levels of objects, as dotted paths, with their schemas. */
function bodyFields(
  spec: OpenApiDocument,
  schema: JsonSchema,
  depth = 2,
  prefix = '',
): Array<[string, JsonSchema]> {
  const fields: Array<[string, JsonSchema]> = [];
  for (const [name, child] of Object.entries(deref(spec, schema).properties ?? {})) {
    const path = prefix ? `${prefix}.${name}` : name;
    const resolved = deref(spec, child);
    fields.push([path, resolved]);
    if (depth > 1 && resolved.properties) fields.push(...bodyFields(spec, resolved, depth - 1, path));
  }
  return fields;
}

/** `body` with the field at the dotted `path` set to `value`, the objects on the way copied or made. */
function withField(body: object, path: string, value: unknown): object {
  const [head, ...rest] = path.split('.');
  if (rest.length === 0) return { ...body, [head]: value };
  const current = (body as Record<string, unknown>)[head];
  const inner = typeof current === 'object' && current !== null && !Array.isArray(current) ? current : {};
  return { ...body, [head]: withField(inner, rest.join('.'), value) };
}

describe('fuzzing every operation of openapi.json', () => {
  let ctx: TestApp;
  let f: Fixture;
  let spec: OpenApiDocument;
  let db: Client;
  let tables: string[];
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  const responseValidators = new Map<string, ValidateFunction>();

  function responseValidator(op: SpecOperation, status: number): ValidateFunction | undefined {
    const schema = op.responses[String(status)]?.content?.['application/json']?.schema;
    if (!schema) return undefined;
    const key = `${op.operationId} ${status}`;
    if (!responseValidators.has(key)) {
      responseValidators.set(key, ajv.compile({ ...schema, $ref: undefined, allOf: [rebase(schema)] }));
    }
    return responseValidators.get(key);
  }

  /** `#/components/schemas/X` inside the registered spec document, in JSON Schema terms. */
  function rebase(schema: object): object {
    return toJsonSchema(
      JSON.parse(JSON.stringify(schema).replace(/"#\/components\//g, '"openapi#/components/')),
    ) as object;
  }

  beforeAll(async () => {
    spec = loadSpec();
    ajv.addSchema(toJsonSchema({ components: spec.components }) as object, 'openapi');
    ctx = await startTestApp();
    const tenant = await createTenant(ctx, { tier: 'enterprise' });
    const other = await createTenant(ctx, { tier: 'enterprise' });
    const agent = await createAgent(ctx, tenant);
    const editor = `Bearer ${tenant.token('editor')}`;
    await ctx.http
      .patch(`/api/v1/agents/${agent.id}`)
      .set('Authorization', editor)
      .send({ description: 'v2' });
    await ctx.http
      .put(`/api/v1/agents/${agent.id}/labels/staging`)
      .set('Authorization', editor)
      .send({ version: 1 });
    const template = await ctx.http
      .post('/api/v1/templates')
      .set('Authorization', editor)
      .send({ name: `tpl_${randomBytes(3).toString('hex')}` });
    const componentName = `fuzz-${randomBytes(3).toString('hex')}`;
    await putComponent(ctx, tenant, componentName, componentConfigs.tool());
    const apiKey = await createApiKey(ctx, tenant, 'viewer');
    const chatAgent = await scriptedAgent(ctx, tenant, [{ content: 'scripted reply' }]);
    const operator = `Bearer ${tenant.token('operator')}`;
    const chat = await ctx.http
      .post('/api/v1/chat')
      .set('Authorization', operator)
      .send({ agent_id: chatAgent.id, message: 'hi', stream: false });
    const checkpoint = await ctx.http
      .post(`/api/v1/runs/${chat.body.run_id}/checkpoints`)
      .set('Authorization', operator)
      .send({});
    f = {
      tenant,
      agentId: agent.id,
      chatAgentId: chatAgent.id,
      templateId: template.body.id,
      componentName,
      apiKeyId: apiKey.id,
      runId: chat.body.run_id,
      checkpointId: checkpoint.body.id,
      otherTenantId: other.id,
    };
    expect(Object.values(f).every((v) => v !== undefined)).toBe(true);
    db = new Client({ connectionString: ctx.database.url });
    await db.connect();
    const { rows } = await db.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables
       WHERE table_schema = 'public' AND table_type = 'BASE TABLE'
         AND table_name NOT IN ('migrations', 'outbox_state') ORDER BY table_name`,
    );
    tables = rows.map((r) => r.table_name);
  });
  afterAll(async () => {
    await db?.end();
    await ctx?.close();
  });

  async function send(
    op: SpecOperation,
    req: FuzzRequest,
  ): Promise<{ status: number; type: string; text: string }> {
    let path = op.path;
    for (const [name, value] of Object.entries(req.params))
      path = path.replace(`{${name}}`, encodePathValue(value));
    const query = Object.entries(req.query)
      .flatMap(([name, value]) => (value === undefined ? [] : [value].flat().map((one) => [name, one])))
      .map(([name, value]) => `${name}=${encodePathValue(value)}`)
      .join('&');
    const headers: Record<string, string> = { ...authFor(f, op) };
    for (const [name, value] of Object.entries(req.headers)) if (value !== undefined) headers[name] = value;
    if (req.ifMatch !== undefined) headers['If-Match'] = req.ifMatch;
    let body: string | undefined;
    if (req.body.kind !== 'none') {
      headers['Content-Type'] = 'application/json';
      body = req.body.kind === 'json' ? safeStringify(req.body.value) : req.body.text;
    }
    const close = new AbortController();
    const res = await fetch(`${ctx.url}${path}${query ? `?${query}` : ''}`, {
      method: op.method,
      headers,
      body,
      signal: AbortSignal.any([close.signal, AbortSignal.timeout(30_000)]),
    });
    const type = res.headers.get('content-type') ?? '';
    if (type.startsWith('text/event-stream')) {
      // The headers are the answer: a stream may stay open for ever, so hang up here.
      close.abort();
      return { status: res.status, type, text: '' };
    }
    return { status: res.status, type, text: await res.text() };
  }

  /** The operation's path parameters, each naming the fixture's resource of its kind. */
  const validParams = (op: SpecOperation) =>
    Object.fromEntries(
      op.parameters.filter((p) => p.in === 'path').map((p) => [p.name, validParam(f, op.path, p.name)]),
    );

  /** A request of valid parts (its body too, where it has one), with `change` applied. */
  const validRequest = (op: SpecOperation, change: Partial<FuzzRequest> = {}): FuzzRequest => ({
    params: validParams(op),
    query: {},
    headers: {},
    ifMatch: undefined,
    body: op.requestBody ? { kind: 'json', value: validBody(spec, f, op) } : { kind: 'none' },
    ...change,
  });

  /** Sends each case; a failure unless the answer is a 400 whose details name the case's field. */
  async function expectNamed400s(cases: Array<[SpecOperation, string, FuzzRequest]>): Promise<void> {
    const failures: string[] = [];
    for (const [op, field, req] of cases) {
      const res = await send(op, req);
      if (
        res.status !== 400 ||
        !res.text.includes('"VALIDATION_FAILED"') ||
        !res.text.includes(`"field":"${field}"`)
      )
        failures.push(`${op.method} ${op.path} ${field} -> ${res.status} ${res.text.slice(0, 200)}`);
    }
    expect(failures).toEqual([]);
  }

  it('every operation with a body refuses bodies nested thousands deep with a 400, not a stack overflow', async () => {
    const deep = (depth: number, array: boolean) =>
      array ? '['.repeat(depth) + ']'.repeat(depth) : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
    const failures: string[] = [];
    for (const op of specOperations(spec).filter((o) => o.requestBody && !o.path.endsWith('/stream'))) {
      for (const text of [deep(5_000, true), deep(5_000, false), `{"config":${deep(2_000, false)}}`]) {
        const params = validParams(op);
        const res = await send(op, {
          params,
          query: {},
          headers: {},
          ifMatch: undefined,
          body: { kind: 'raw', text },
        });
        if (res.status !== 400 || !res.text.includes('"VALIDATION_FAILED"'))
          failures.push(`${op.method} ${op.path} -> ${res.status} ${res.text.slice(0, 200)}`);
      }
    }
    expect(failures).toEqual([]);
  });

  /** Each query parameter of each operation, in an otherwise valid request, set to `value`. */
  function queryCases(value: string | string[]): Array<[SpecOperation, string, FuzzRequest]> {
    const cases = specOperations(spec).flatMap((op) =>
      op.parameters
        .filter((p) => p.in === 'query')
        .map((p): [SpecOperation, string, FuzzRequest] => [
          op,
          p.name,
          validRequest(op, { query: { [p.name]: value } }),
        ]),
    );
    expect(cases.length).toBeGreaterThan(20);
    return cases;
  }

  // A URL cannot carry a lone surrogate (UTF-8 has none; percent-decoding one fails), so U+0000 is
  // the one character of a query value PostgreSQL cannot store.
  it('every query parameter refuses U+0000 with a 400 naming it', async () => {
    await expectNamed400s(queryCases('a\u0000b'));
  });

  it('every operation refuses a query parameter it does not document with a 400 naming it', async () => {
    const cases = specOperations(spec).map((op): [SpecOperation, string, FuzzRequest] => [
      op,
      'not_a_parameter',
      validRequest(op, { query: { not_a_parameter: '1' } }),
    ]);
    expect(cases.length).toBeGreaterThan(60);
    await expectNamed400s(cases);
  });

  it('every operation that takes no body refuses one with a field, naming it', async () => {
    const cases = specOperations(spec)
      .filter((op) => !op.requestBody && op.method !== 'GET')
      .map((op): [SpecOperation, string, FuzzRequest] => [
        op,
        'not_a_field',
        validRequest(op, { body: { kind: 'json', value: { not_a_field: 1 } } }),
      ]);
    expect(cases.length).toBeGreaterThan(10);
    await expectNamed400s(cases);
  });

  it('every query parameter given twice answers a 400 naming it (each takes one value)', async () => {
    await expectNamed400s(queryCases(['1', '2']));
  });

  it('every path parameter holding U+0000 answers a 400 or a 404, in the envelope', async () => {
    const failures: string[] = [];
    let checked = 0;
    for (const op of specOperations(spec)) {
      for (const param of op.parameters.filter((p) => p.in === 'path')) {
        checked++;
        const res = await send(
          op,
          validRequest(op, { params: { ...validParams(op), [param.name]: 'a\u0000b' } }),
        );
        if (![400, 404].includes(res.status) || !res.text.includes('"error"'))
          failures.push(`${op.method} ${op.path} {${param.name}} -> ${res.status} ${res.text.slice(0, 200)}`);
      }
    }
    expect(checked).toBeGreaterThan(20);
    expect(failures).toEqual([]);
  });

  /** Each field of each body, two levels of objects deep, whose schema `wanted` picks, set to `value`. */
  function bodyCases(
    wanted: (schema: JsonSchema) => boolean,
    value: unknown,
  ): Array<[SpecOperation, string, FuzzRequest]> {
    return specOperations(spec)
      .filter((op) => op.requestBody)
      .flatMap((op) =>
        bodyFields(spec, op.requestBody as JsonSchema)
          .filter(([, schema]) => wanted(schema))
          .map(([path]): [SpecOperation, string, FuzzRequest] => [
            op,
            path,
            validRequest(op, {
              body: { kind: 'json', value: withField(validBody(spec, f, op) as object, path, value) },
            }),
          ]),
      );
  }

  it('every string field of a body, two levels deep, holding U+0000 answers a 400 naming it', async () => {
    const cases = bodyCases((schema) => schema.type === 'string', 'a\u0000b');
    expect(cases.length).toBeGreaterThan(20);
    expect(cases.filter(([, field]) => field.includes('.')).length).toBeGreaterThan(5);
    await expectNamed400s(cases);
  });

  it('every numeric query parameter and body field, two levels deep, refuses 1.5e300 (an integer to JavaScript) with a 400 naming it', async () => {
    const numeric = (schema: JsonSchema | undefined) =>
      schema !== undefined && ['integer', 'number'].includes(deref(spec, schema).type ?? '');
    const cases = [
      ...specOperations(spec).flatMap((op) =>
        op.parameters
          .filter((p) => p.in === 'query' && numeric(p.schema))
          .map((p): [SpecOperation, string, FuzzRequest] => [
            op,
            p.name,
            validRequest(op, { query: { [p.name]: '1.5e300' } }),
          ]),
      ),
      ...bodyCases(numeric, 1.5e300),
    ];
    expect(cases.length).toBeGreaterThan(10);
    expect(cases.filter(([, field]) => field.includes('.')).length).toBeGreaterThan(3);
    await expectNamed400s(cases);
  });

  it('every typed field of a body, two levels deep, given a value of another type answers a 400 naming it', async () => {
    const wrong: Record<string, unknown> = {
      string: 42,
      integer: '7x',
      number: '7x',
      boolean: 'yes',
      array: 'x',
      object: 'x',
    };
    const cases = Object.entries(wrong).flatMap(([type, value]) =>
      bodyCases((schema) => schema.type === type, value),
    );
    expect(cases.length).toBeGreaterThan(40);
    await expectNamed400s(cases);
  });

  it('every object field of a body, two levels deep, given an array of objects answers a 400 naming it', async () => {
    // class-validator validates an array's items where it expects one nested object: `[{}]` passed.
    const cases = bodyCases((schema) => schema.type === 'object', [{}]);
    expect(cases.length).toBeGreaterThan(5);
    await expectNamed400s(cases);
  });

  /** Values just outside what `schema` documents: past maxLength, outside the enum, below minimum, above maximum. */
  function outside(schema: JsonSchema): unknown[] {
    const values: unknown[] = [];
    // Past 100,000 characters the body limit answers first (413).
    if (schema.type === 'string' && schema.maxLength !== undefined && schema.maxLength <= 100_000)
      values.push('x'.repeat(schema.maxLength + 1));
    if (schema.type === 'string' && schema.enum) values.push('not-one-of-them');
    if (schema.minimum !== undefined) values.push(schema.minimum - 1);
    if (schema.maximum !== undefined) values.push(schema.maximum + 1);
    return values;
  }

  it('every documented bound of a query parameter or body field (maxLength, enum, minimum, maximum) answers a 400 naming it', async () => {
    const cases: Array<[SpecOperation, string, FuzzRequest]> = [];
    for (const op of specOperations(spec)) {
      for (const param of op.parameters.filter((p) => p.in === 'query' && p.schema)) {
        for (const value of outside(deref(spec, param.schema as JsonSchema)))
          cases.push([op, param.name, validRequest(op, { query: { [param.name]: String(value) } })]);
      }
      if (!op.requestBody) continue;
      for (const [path, schema] of bodyFields(spec, op.requestBody)) {
        for (const value of outside(schema)) {
          const body = withField(validBody(spec, f, op) as object, path, value);
          cases.push([op, path, validRequest(op, { body: { kind: 'json', value: body } })]);
        }
      }
    }
    expect(cases.length).toBeGreaterThan(60);
    await expectNamed400s(cases);
  });

  it('every operation answering text/event-stream streams a valid request (hung up after the headers)', async () => {
    const failures: string[] = [];
    const streaming = specOperations(spec).filter(answersEventStream);
    expect(streaming.length).toBeGreaterThanOrEqual(3);
    for (const op of streaming) {
      const params = validParams(op);
      // Where a body chooses JSON or a stream (chat), it asks for the stream.
      const wantsStream = deref(spec, op.requestBody).properties?.stream !== undefined;
      const body: Body = op.requestBody
        ? { kind: 'json', value: { ...validBody(spec, f, op), ...(wantsStream ? { stream: true } : {}) } }
        : { kind: 'none' };
      const res = await send(op, { params, query: {}, headers: {}, ifMatch: undefined, body });
      if (res.status !== 200 || !res.type.startsWith('text/event-stream'))
        failures.push(`${op.method} ${op.path} -> ${res.status} ${res.type} ${res.text.slice(0, 200)}`);
    }
    expect(failures).toEqual([]);
  });

  it('openapi.json lists operations to fuzz', () => {
    expect(specOperations(spec).length).toBeGreaterThan(20);
  });

  const operations = () =>
    specOperations(loadSpec())
      // Deletes and deactivations last, so the fixtures live while the other operations are fuzzed.
      .sort((x, y) => rank(x) - rank(y));
  const rank = (op: SpecOperation) =>
    op.method === 'DELETE' ? 2 : /deactivate|revoke/i.test(op.operationId) ? 1 : 0;

  it.each(operations().map((op) => [`${op.method} ${op.path}`, op] as const))('%s', async (_name, op) => {
    const problems: string[] = [];
    await fc
      .assert(
        fc.asyncProperty(requestArbitrary(spec, f, op), async (req) => {
          const before = await settled(db, tables);
          const res = await send(op, req);
          const what = `${op.method} ${op.path} ${JSON.stringify(req).slice(0, 500)} -> ${res.status} ${res.text.slice(0, 300)}`;
          let json: { error?: { code?: unknown; request_id?: unknown } } | undefined;
          try {
            json = res.type.includes('json') ? JSON.parse(res.text) : undefined;
          } catch {
            json = undefined;
          }
          if (res.status >= 500) problems.push(`5xx: ${what}`);
          const streamed = res.type.startsWith('text/event-stream');
          if (res.status < 300 && answersEventStream(op) && !streamed) {
            // Another 2xx only as the operation declares it: JSON (chat without `stream: true`) or
            // empty (204, a run stream joined after its end).
            const declared = op.responses[String(res.status)];
            const asDeclared = declared?.content?.['application/json']
              ? json !== undefined
              : declared !== undefined && !declared.content && res.text === '';
            if (!asDeclared) problems.push(`2xx not text/event-stream: ${what}`);
          }
          if (streamed && (res.status >= 300 || !answersEventStream(op)))
            problems.push(`unexpected text/event-stream: ${what}`);
          if (res.status >= 400) {
            if (typeof json?.error?.code !== 'string' || typeof json?.error?.request_id !== 'string')
              problems.push(`no envelope: ${what}`);
            const after = await fingerprint(db, tables);
            if (after !== before) {
              const was = new Set(before.split(','));
              const moved = after.split(',').filter((t) => !was.has(t));
              problems.push(`rejected but stored (${moved.join(' ')}): ${what}`);
            }
          } else if (json !== undefined && !reroutes(req)) {
            const validate = responseValidator(op, res.status);
            if (validate && !validate(json))
              problems.push(`schema ${ajv.errorsText(validate.errors)}: ${what}`);
          }
          if ((Object.prototype as Record<string, unknown>).polluted !== undefined) {
            delete (Object.prototype as Record<string, unknown>).polluted;
            problems.push(`prototype polluted: ${what}`);
          }
          return problems.length === 0;
        }),
        { numRuns: RUNS, seed: SEED, endOnFailure: true },
      )
      .catch((error: Error) => {
        throw new Error(
          `${problems.join('\n')}\n${error.message.slice(0, 2_000)}\n${String(error.cause).slice(0, 1_000)}`,
        );
      });
  });
});
