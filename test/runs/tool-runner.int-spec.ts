import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ToolSpec } from '../../src/modules/runs/run-config';
import { ToolRunner } from '../../src/modules/runs/tools/tool-runner';

describe('ToolRunner: HTTP tools against a real local server', () => {
  let server: http.Server;
  let base: string;
  const received: Array<{ method: string; url: string; body: string }> = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        received.push({ method: req.method!, url: req.url!, body });
        if (req.url?.startsWith('/big')) res.end('x'.repeat(5_000));
        else if (req.url?.startsWith('/slow')) setTimeout(() => res.end('late'), 2_000);
        else if (req.url?.startsWith('/fail')) res.writeHead(503).end('down');
        else res.end(JSON.stringify({ stock: 7, echo: body || req.url }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const tool = (
    path: string,
    extra: Partial<Extract<ToolSpec['runner'], { type: 'http' }>> = {},
  ): ToolSpec => ({
    name: 'stock',
    description: 'Stock level',
    parameters: {
      type: 'object',
      properties: { sku: { type: 'string', pattern: '^[A-Z0-9-]+$' } },
      required: ['sku'],
      additionalProperties: false,
    },
    runner: {
      type: 'http',
      url: `${base}${path}`,
      method: 'POST',
      headers: { 'X-Tool': 'yes' },
      timeout_ms: 500,
      max_response_bytes: 1_000,
      ...extra,
    },
  });
  const signal = new AbortController().signal;

  it('refuses a loopback address unless its host is allow-listed', async () => {
    const refused = await new ToolRunner({ allowHosts: [] }).run(
      tool('/stock'),
      'stock',
      '{"sku":"A-1"}',
      signal,
    );
    expect(refused).toEqual({
      ok: false,
      result: expect.stringMatching(/127\.0\.0\.1 resolves to a private address/),
    });
    expect(received).toHaveLength(0);
    const allowed = await new ToolRunner({ allowHosts: ['127.0.0.1'] }).run(
      tool('/stock'),
      'stock',
      '{"sku":"A-1"}',
      signal,
    );
    expect(allowed).toEqual({ ok: true, result: JSON.stringify({ stock: 7, echo: '{"sku":"A-1"}' }) });
    expect(received[0]).toEqual({ method: 'POST', url: '/stock', body: '{"sku":"A-1"}' });
  });

  it('validates arguments against the schema before calling', async () => {
    const runner = new ToolRunner({ allowHosts: ['127.0.0.1'] });
    const before = received.length;
    expect(await runner.run(tool('/stock'), 'stock', '{"sku":"lower"}', signal)).toEqual({
      ok: false,
      result: expect.stringMatching(/invalid arguments: \/sku must match pattern/),
    });
    expect(await runner.run(tool('/stock'), 'stock', '{"sku":', signal)).toEqual({
      ok: false,
      result: 'error: arguments are not valid JSON',
    });
    expect(await runner.run(undefined, 'nope', '{}', signal)).toEqual({
      ok: false,
      result: 'error: unknown tool "nope"',
    });
    expect(received.length).toBe(before);
  });

  it('caps the response size, times out, reports upstream errors, and sends GET arguments as the query', async () => {
    const runner = new ToolRunner({ allowHosts: ['127.0.0.1'] });
    expect((await runner.run(tool('/big'), 'stock', '{"sku":"A"}', signal)).result).toMatch(
      /larger than 1000 bytes/,
    );
    expect((await runner.run(tool('/slow'), 'stock', '{"sku":"A"}', signal)).result).toMatch(
      /timed out after 500 ms/,
    );
    expect((await runner.run(tool('/fail'), 'stock', '{"sku":"A"}', signal)).result).toMatch(
      /answered 503: down/,
    );
    const get = await runner.run(tool('/q', { method: 'GET' }), 'stock', '{"sku":"B-2"}', signal);
    expect(JSON.parse(get.result)).toEqual({ stock: 7, echo: '/q?sku=B-2' });
  });
});
