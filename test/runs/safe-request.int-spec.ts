import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSecureContext } from 'node:tls';
import type { ToolSpec } from '../../src/modules/runs/run-config';
import { ToolRunner } from '../../src/modules/runs/tools/tool-runner';
import {
  ResolvedAddress,
  safeRequest,
  SafeRequestError,
  SafeRequestOptions,
} from '../../src/modules/runs/tools/safe-request';

interface Seen {
  host: string | undefined;
  url: string;
}

/** A local server on `address` that records what reached it. */
async function recordingServer(address: string, port = 0, handler?: http.RequestListener) {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    seen.push({ host: req.headers.host, url: req.url! });
    if (handler) handler(req, res);
    else res.end(`hello from ${address}`);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address, resolve);
  });
  return { server, seen, port: (server.address() as AddressInfo).port };
}

const close = (server: http.Server | https.Server) =>
  new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });

/** A resolver that gives each answer in turn (the last one again after that), counting calls. */
function dnsAnswers(...answers: string[][]) {
  const calls: string[] = [];
  const resolve = (hostname: string): Promise<ResolvedAddress[]> => {
    calls.push(hostname);
    const answer = answers[Math.min(calls.length - 1, answers.length - 1)];
    return Promise.resolve(answer.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })));
  };
  return { calls, resolve };
}

describe('safeRequest: outbound requests pinned to the checked address', () => {
  const signal = new AbortController().signal;
  const base = (overrides: Partial<SafeRequestOptions>): SafeRequestOptions => ({
    method: 'GET',
    headers: {},
    timeoutMs: 1_000,
    maxResponseBytes: 10_000,
    signal,
    allowHosts: [],
    ...overrides,
  });

  let a: Awaited<ReturnType<typeof recordingServer>>;
  let b: Awaited<ReturnType<typeof recordingServer>>;

  beforeAll(async () => {
    a = await recordingServer('127.0.0.1');
    // The same port on a second loopback address: only the address tells the two apart.
    b = await recordingServer('127.0.0.2', a.port);
  });
  afterAll(async () => {
    await close(a.server);
    await close(b.server);
  });
  beforeEach(() => {
    a.seen.length = 0;
    b.seen.length = 0;
  });

  it('refuses a name that resolves to a private address, without connecting', async () => {
    const dns = dnsAnswers(['127.0.0.1']);
    const error = await safeRequest(`http://svc.example:${a.port}/x`, base({ resolve: dns.resolve })).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SafeRequestError);
    expect(error).toMatchObject({
      reason: 'refused',
      message: 'svc.example resolves to a private address; allow-list it in HTTP_TOOL_ALLOW_HOSTS',
    });
    expect(dns.calls).toEqual(['svc.example']);
    expect(a.seen).toHaveLength(0);
  });

  it('checks every resolved address, not only the first', async () => {
    const dns = dnsAnswers(['93.184.216.34', '10.0.0.7']);
    await expect(
      safeRequest(`http://svc.example:${a.port}/x`, base({ resolve: dns.resolve })),
    ).rejects.toMatchObject({ reason: 'refused' });
    const v6 = dnsAnswers(['2606:4700::1111', 'fe80::1']);
    await expect(
      safeRequest(`http://svc.example:${a.port}/x`, base({ resolve: v6.resolve })),
    ).rejects.toMatchObject({ reason: 'refused' });
  });

  it('does not resolve again before connecting: a rebinding answer never reaches the inside', async () => {
    // First answer public (the check passes), every later one loopback (where the server is).
    // Resolving again at connection time, as fetch did, would reach the local server.
    const dns = dnsAnswers(['192.0.2.10'], ['127.0.0.1']);
    const error = await safeRequest(
      `http://rebind.example:${a.port}/secret`,
      base({ resolve: dns.resolve, timeoutMs: 300 }),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SafeRequestError);
    expect((error as SafeRequestError).reason).toMatch(/^(timeout|failed)$/);
    expect(dns.calls).toEqual(['rebind.example']);
    expect(a.seen).toHaveLength(0);
  });

  it('connects to exactly the address it checked, with the URL host in Host', async () => {
    const dns = dnsAnswers(['127.0.0.1'], ['127.0.0.2']);
    const response = await safeRequest(
      `http://svc.example:${a.port}/path?q=1`,
      base({ resolve: dns.resolve, allowHosts: ['svc.example'], headers: { host: 'evil.example' } }),
    );
    expect(response).toEqual({ status: 200, body: 'hello from 127.0.0.1', address: '127.0.0.1' });
    expect(dns.calls).toHaveLength(1);
    expect(a.seen).toEqual([{ host: `svc.example:${a.port}`, url: '/path?q=1' }]);
    expect(b.seen).toHaveLength(0);

    const other = dnsAnswers(['127.0.0.2'], ['127.0.0.1']);
    const second = await safeRequest(
      `http://svc.example:${a.port}/`,
      base({ resolve: other.resolve, allowHosts: ['svc.example'] }),
    );
    expect(second).toMatchObject({ body: 'hello from 127.0.0.2', address: '127.0.0.2' });
    expect(a.seen).toHaveLength(1);
    expect(b.seen).toHaveLength(1);
  });

  it('refuses IP literals and localhost unless allow-listed', async () => {
    await expect(safeRequest(`http://127.0.0.1:${a.port}/`, base({}))).rejects.toMatchObject({
      reason: 'refused',
    });
    await expect(safeRequest(`http://[::1]:${a.port}/`, base({}))).rejects.toMatchObject({
      reason: 'refused',
    });
    await expect(safeRequest(`http://localhost:${a.port}/`, base({}))).rejects.toMatchObject({
      reason: 'refused',
    });
    await expect(safeRequest(`ftp://127.0.0.1/`, base({}))).rejects.toMatchObject({ reason: 'refused' });
    // 127.0.0.1 written as IPv6: the URL makes it [::ffff:7f00:1], which a dual-stack socket
    // connects to 127.0.0.1 (and once did, past the check); so do the other forms carrying it.
    for (const host of ['[::ffff:127.0.0.1]', '[::ffff:7f00:1]', '[::127.0.0.1]', '[64:ff9b::7f00:1]']) {
      await expect(safeRequest(`http://${host}:${a.port}/`, base({}))).rejects.toMatchObject({
        reason: 'refused',
      });
    }
    expect(a.seen).toHaveLength(0);
    const allowed = await safeRequest(`http://127.0.0.1:${a.port}/ok`, base({ allowHosts: ['127.0.0.1'] }));
    expect(allowed).toMatchObject({ status: 200, address: '127.0.0.1' });
  });

  it('does not follow redirects, so a redirect cannot lead past the check', async () => {
    const target = await recordingServer('127.0.0.1');
    const redirecting = await recordingServer('127.0.0.1', 0, (_req, res) =>
      res.writeHead(302, { Location: `http://127.0.0.1:${target.port}/inside` }).end(),
    );
    try {
      await expect(
        safeRequest(`http://127.0.0.1:${redirecting.port}/`, base({ allowHosts: ['127.0.0.1'] })),
      ).rejects.toMatchObject({ reason: 'refused', message: 'redirects are not followed (answered 302)' });
      expect(redirecting.seen).toHaveLength(1);
      expect(target.seen).toHaveLength(0);
    } finally {
      await close(target.server);
      await close(redirecting.server);
    }
  });

  it('stops on timeout, on the caller abort, and beyond the size cap', async () => {
    const slow = await recordingServer('127.0.0.1', 0, (req, res) => {
      if (req.url === '/big') res.end('x'.repeat(50_000));
      else if (req.url === '/drip') {
        // No Content-Length: the cap is enforced while reading.
        res.write('x'.repeat(6_000));
        setTimeout(() => res.end('x'.repeat(6_000)), 20);
      } else setTimeout(() => res.end('late'), 2_000).unref();
    });
    const allow = { allowHosts: ['127.0.0.1'] };
    const url = (path: string) => `http://127.0.0.1:${slow.port}${path}`;
    try {
      const started = Date.now();
      await expect(safeRequest(url('/slow'), base({ ...allow, timeoutMs: 200 }))).rejects.toMatchObject({
        reason: 'timeout',
        message: 'timed out after 200 ms',
      });
      expect(Date.now() - started).toBeLessThan(1_500);
      const controller = new AbortController();
      const reason = new Error('run cancelled');
      setTimeout(() => controller.abort(reason), 50);
      await expect(safeRequest(url('/slow'), base({ ...allow, signal: controller.signal }))).rejects.toBe(
        reason,
      );
      await expect(safeRequest(url('/big'), base(allow))).rejects.toMatchObject({
        reason: 'too_large',
        message: 'the response is larger than 10000 bytes',
      });
      await expect(safeRequest(url('/drip'), base(allow))).rejects.toMatchObject({ reason: 'too_large' });
    } finally {
      await close(slow.server);
    }
  });

  it('HTTP tools use it: a name resolving to a private address is refused, then pinned when allowed', async () => {
    const tool: ToolSpec = {
      name: 'lookup',
      description: 'Lookup',
      parameters: { type: 'object' },
      runner: {
        type: 'http',
        url: `http://tools.example:${a.port}/lookup`,
        method: 'POST',
        headers: {},
        timeout_ms: 1_000,
        max_response_bytes: 1_000,
      },
    };
    const refused = await new ToolRunner({ allowHosts: [], resolve: dnsAnswers(['127.0.0.1']).resolve }).run(
      tool,
      'lookup',
      '{}',
      signal,
    );
    expect(refused).toEqual({
      ok: false,
      result: 'error: tools.example resolves to a private address; allow-list it in HTTP_TOOL_ALLOW_HOSTS',
    });
    expect(a.seen).toHaveLength(0);
    const allowed = await new ToolRunner({
      allowHosts: ['tools.example'],
      resolve: dnsAnswers(['127.0.0.2'], ['127.0.0.1']).resolve,
    }).run(tool, 'lookup', '{}', signal);
    expect(allowed).toEqual({ ok: true, result: 'hello from 127.0.0.2' });
    expect(b.seen).toEqual([{ host: `tools.example:${a.port}`, url: '/lookup' }]);
    expect(a.seen).toHaveLength(0);
  });
});

const hasOpenssl = (() => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

(hasOpenssl ? describe : describe.skip)('safeRequest over https', () => {
  let dir: string;
  let server: https.Server;
  let port: number;
  const serverNames: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'agentry-tls-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=svc.example',
        '-keyout',
        'key.pem',
        '-out',
        'cert.pem',
      ],
      { cwd: dir, stdio: 'ignore', env: { ...process.env, OPENSSL_CONF: '/dev/null' } },
    );
    const credentials = {
      key: readFileSync(join(dir, 'key.pem')),
      cert: readFileSync(join(dir, 'cert.pem')),
    };
    const context = createSecureContext(credentials);
    server = https.createServer(
      {
        ...credentials,
        // Called with the ClientHello's server name, before the client can refuse the certificate.
        SNICallback: (name, callback) => {
          serverNames.push(name);
          callback(null, context);
        },
      },
      (_req, res) => res.end('tls'),
    );
    server.on('tlsClientError', () => undefined);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await close(server);
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends the URL host name as SNI while connecting to the checked address, and verifies the certificate', async () => {
    const dns = dnsAnswers(['127.0.0.1']);
    const error = await safeRequest(`https://svc.example:${port}/`, {
      method: 'GET',
      headers: {},
      timeoutMs: 2_000,
      maxResponseBytes: 1_000,
      signal: new AbortController().signal,
      allowHosts: ['svc.example'],
      resolve: dns.resolve,
    }).catch((e: unknown) => e);
    // The self-signed certificate is refused: verification is on, against the name, not the IP.
    expect(error).toMatchObject({ reason: 'failed', message: expect.stringMatching(/self[- ]signed/) });
    expect(dns.calls).toEqual(['svc.example']);
    expect(serverNames).toEqual(['svc.example']);
  });
});
