import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  KnowledgeRetrievalError,
  knowledgeFor,
  retrieveKnowledge,
} from '../../src/modules/runs/knowledge/knowledge-retrieval';
import { ModelError } from '../../src/modules/runs/providers/model-provider';
import { RetrievalSpec, toRunConfig } from '../../src/modules/runs/run-config';

interface Received {
  url: string;
  headers: http.IncomingHttpHeaders;
  body: unknown;
}

describe('Knowledge retrieval against a real local endpoint', () => {
  let server: http.Server;
  let base: string;
  const received: Received[] = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let raw = '';
      req.on('data', (chunk: Buffer) => (raw += chunk.toString()));
      req.on('end', () => {
        const body = JSON.parse(raw || 'null') as { query?: string } | null;
        received.push({ url: req.url!, headers: req.headers, body });
        const json = (value: unknown) =>
          res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(value));
        if (req.url === '/search')
          json({
            documents: [
              { title: 'Returns', content: `Returns within 30 days (asked: ${body?.query})`, score: 0.9 },
              'Shipping is free above 50 EUR',
              { content: '' },
              { title: 'Warranty', content: 'Two years' },
            ],
          });
        else if (req.url === '/none') json({ documents: [] });
        else if (req.url === '/big') json({ documents: ['x'.repeat(300 * 1024)] });
        else if (req.url === '/shape') json({ results: [] });
        else if (req.url === '/fail') res.writeHead(503).end('down');
        else if (req.url === '/slow') setTimeout(() => json({ documents: ['late'] }), 2_000).unref();
        else res.writeHead(404).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  beforeEach(() => (received.length = 0));

  const spec = (path: string, extra: Partial<RetrievalSpec> = {}): RetrievalSpec => ({
    url: `${base}${path}`,
    method: 'POST',
    headers: { Authorization: 'Bearer kb-token', 'Content-Type': 'text/plain' },
    top_k: 5,
    timeout_ms: 1_000,
    max_response_bytes: 256 * 1024,
    ...extra,
  });
  const allowed = { allowHosts: ['127.0.0.1'] };
  const signal = new AbortController().signal;
  const failure = (promise: Promise<unknown>) => promise.catch((error: unknown) => error);

  it('posts the query and top_k, and writes the first top_k documents like static ones', async () => {
    const text = await retrieveKnowledge(spec('/search', { top_k: 2 }), 'can I return it?', signal, allowed);
    expect(text).toBe(
      '# Returns\nReturns within 30 days (asked: can I return it?)\n\nShipping is free above 50 EUR',
    );
    expect(received).toHaveLength(1);
    expect(received[0].body).toEqual({ query: 'can I return it?', top_k: 2 });
    expect(received[0].headers).toMatchObject({
      authorization: 'Bearer kb-token',
      'content-type': 'application/json',
      accept: 'application/json',
    });
    // Empty documents are skipped, so top_k counts the usable ones.
    expect(await retrieveKnowledge(spec('/search', { top_k: 3 }), 'q', signal, allowed)).toMatch(
      /\n\n# Warranty\nTwo years$/,
    );
    expect(await retrieveKnowledge(spec('/none'), 'q', signal, allowed)).toBeNull();
  });

  it('refuses a private address unless allow-listed, without calling it', async () => {
    const error = await failure(retrieveKnowledge(spec('/search'), 'q', signal, { allowHosts: [] }));
    expect(error).toBeInstanceOf(KnowledgeRetrievalError);
    // A ModelError: the executor fails the run with this message as its reason.
    expect(error).toBeInstanceOf(ModelError);
    expect((error as Error).message).toBe(
      'knowledge retrieval failed: 127.0.0.1 resolves to a private address; allow-list it in HTTP_TOOL_ALLOW_HOSTS',
    );
    // A name that resolves to a private address is refused the same way.
    const byName = await failure(
      retrieveKnowledge(
        { ...spec('/search'), url: `${base.replace('127.0.0.1', 'kb.example')}/search` },
        'q',
        signal,
        {
          allowHosts: [],
          resolve: () => Promise.resolve([{ address: '127.0.0.1', family: 4 }]),
        },
      ),
    );
    expect((byName as Error).message).toMatch(/kb\.example resolves to a private address/);
    expect(received).toHaveLength(0);
  });

  it('times out, caps the answer, and reports errors and other shapes', async () => {
    const started = Date.now();
    expect(
      await failure(retrieveKnowledge(spec('/slow', { timeout_ms: 200 }), 'q', signal, allowed)),
    ).toEqual(new KnowledgeRetrievalError('timed out after 200 ms'));
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(await failure(retrieveKnowledge(spec('/big'), 'q', signal, allowed))).toEqual(
      new KnowledgeRetrievalError('the response is larger than 262144 bytes'),
    );
    expect(await failure(retrieveKnowledge(spec('/fail'), 'q', signal, allowed))).toEqual(
      new KnowledgeRetrievalError('the endpoint answered 503'),
    );
    expect(await failure(retrieveKnowledge(spec('/shape'), 'q', signal, allowed))).toEqual(
      new KnowledgeRetrievalError('the answer is not JSON of the form {"documents": [...]}'),
    );
  });

  it('stops at once when the run is cancelled, with the cancel reason', async () => {
    const controller = new AbortController();
    const reason = new Error('cancelled');
    setTimeout(() => controller.abort(reason), 50);
    const started = Date.now();
    expect(await failure(retrieveKnowledge(spec('/slow'), 'q', controller.signal, allowed))).toBe(reason);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('knowledgeFor: static documents then what the current query retrieves, once per execution', async () => {
    const config = toRunConfig({
      knowledge: {
        name: 'kb',
        type: 'knowledge',
        http_retrieval: {
          url: `${base}/search`,
          top_k: 1,
          headers: { 'X-Kb': 'yes', Secret: { secret: '****abcd' } },
        },
      },
    });
    const execution = new AbortController().signal;
    const messages = [
      { role: 'user' as const, content: 'earlier question' },
      { role: 'assistant' as const, content: 'earlier answer' },
      { role: 'user' as const, content: 'where is my parcel?' },
    ];
    const expected = '# Returns\nReturns within 30 days (asked: where is my parcel?)';
    expect(await knowledgeFor(config, messages, execution, allowed)).toBe(expected);
    // The next step of the same execution (a tool result appended) does not ask again.
    const later = [
      ...messages,
      { role: 'assistant' as const, content: '' },
      { role: 'tool' as const, content: '7' },
    ];
    expect(await knowledgeFor(config, later, execution, allowed)).toBe(expected);
    expect(received).toHaveLength(1);
    // A masked secret header (a run's stored view) is not sent.
    expect(received[0].headers['x-kb']).toBe('yes');
    expect(received[0].headers.secret).toBeUndefined();
    // Another execution retrieves anew; static text and no query need no call.
    await knowledgeFor(config, messages, new AbortController().signal, allowed);
    expect(received).toHaveLength(2);
    const withStatic = { ...config, knowledge: 'Static facts' };
    expect(await knowledgeFor(withStatic, messages, new AbortController().signal, allowed)).toBe(
      `Static facts\n\n${expected}`,
    );
    expect(await knowledgeFor(withStatic, [], execution, allowed)).toBe('Static facts');
    expect(await knowledgeFor(toRunConfig({}), messages, execution, allowed)).toBeNull();
    expect(received).toHaveLength(3);
  });
});
