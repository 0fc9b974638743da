import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { httpFetch, nodeBodyOf } from '../../src/modules/runs/providers/http-fetch';

/** A local server; `handler` sees each request with how many came before it on its connection. */
async function server(handler: (req: http.IncomingMessage, res: http.ServerResponse, nth: number) => void) {
  const perSocket = new WeakMap<Socket, number>();
  const sockets = new Set<Socket>();
  const srv = http.createServer((req, res) => {
    const nth = (perSocket.get(req.socket) ?? 0) + 1;
    perSocket.set(req.socket, nth);
    handler(req, res, nth);
  });
  srv.on('connection', (socket) => sockets.add(socket));
  srv.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}`,
    connections: () => sockets.size,
    close: async () => {
      srv.closeAllConnections();
      await new Promise((resolve) => srv.close(resolve));
    },
  };
}

const bodyOf = (req: http.IncomingMessage) =>
  new Promise<string>((resolve) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (text += chunk));
    req.on('end', () => resolve(text));
  });

describe('httpFetch: fetch for the model SDK over node:http', () => {
  it('sends method, headers and body, and streams the answer with its status and headers', async () => {
    const srv = await server((req, res) => {
      void bodyOf(req).then((text) => {
        res.writeHead(201, { 'content-type': 'text/plain', 'x-echo': String(req.headers['x-test']) });
        res.write(`${req.method} `);
        setTimeout(() => res.end(text), 20);
      });
    });
    try {
      const response = await httpFetch(`${srv.url}/v1/x`, {
        method: 'post',
        headers: new Headers({ 'x-test': 'yes', 'content-type': 'application/json' }),
        body: '{"a":"é"}',
      });
      expect(response.status).toBe(201);
      expect(response.ok).toBe(true);
      expect(response.headers.get('x-echo')).toBe('yes');
      expect(await response.text()).toBe('POST {"a":"é"}');
    } finally {
      await srv.close();
    }
  });

  it('answers a bodiless status without a body, and an error status as a response', async () => {
    const srv = await server((req, res) => {
      res.statusCode = req.url === '/empty' ? 204 : 503;
      res.end(req.url === '/empty' ? undefined : '{"error":{"message":"overloaded"}}');
    });
    try {
      const empty = await httpFetch(`${srv.url}/empty`);
      expect(empty.status).toBe(204);
      expect(empty.body).toBeNull();
      const failed = await httpFetch(`${srv.url}/busy`);
      expect(failed.status).toBe(503);
      expect(await failed.json()).toEqual({ error: { message: 'overloaded' } });
    } finally {
      await srv.close();
    }
  });

  it('aborts before the answer with the signal reason, and mid-body with an AbortError', async () => {
    const srv = await server((req, res) => {
      if (req.url === '/never') return;
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: first\n\n');
    });
    try {
      const early = new AbortController();
      const pending = httpFetch(`${srv.url}/never`, { signal: early.signal });
      const reason = new Error('stop now');
      setTimeout(() => early.abort(reason), 20);
      await expect(pending).rejects.toBe(reason);

      const late = new AbortController();
      const response = await httpFetch(`${srv.url}/stream`, { signal: late.signal });
      const reader = response.body!.getReader();
      expect(new TextDecoder().decode((await reader.read()).value)).toBe('data: first\n\n');
      late.abort();
      await expect(reader.read()).rejects.toMatchObject({ name: 'AbortError' });
    } finally {
      await srv.close();
    }
  });

  it('sends a request again on a new connection when the server closed the reused one', async () => {
    // The second request on any connection finds it closed, as when a keep-alive timeout fires.
    const srv = await server((req, res, nth) => {
      if (nth > 1) {
        req.socket.destroy();
        return;
      }
      res.end(`served ${req.url}`);
    });
    try {
      expect(await (await httpFetch(`${srv.url}/one`, { method: 'POST', body: 'x' })).text()).toBe(
        'served /one',
      );
      expect(await (await httpFetch(`${srv.url}/two`, { method: 'POST', body: 'y' })).text()).toBe(
        'served /two',
      );
      expect(srv.connections()).toBe(2);
    } finally {
      await srv.close();
    }
  });

  it('never sends a request again once its answer has begun, even on a reused connection', async () => {
    const seen: string[] = [];
    const srv = await server((req, res, nth) => {
      seen.push(req.url!);
      if (nth === 1) return void res.end('first');
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: partial\n\n', () => req.socket.destroy());
    });
    try {
      expect(await (await httpFetch(`${srv.url}/one`)).text()).toBe('first');
      const cut = await httpFetch(`${srv.url}/two`, { method: 'POST', body: 'x' });
      await expect(cut.text()).rejects.toThrow();
      expect(seen).toEqual(['/one', '/two']);
    } finally {
      await srv.close();
    }
  });

  it('a refused connection is a TypeError with the cause, as fetch reports it', async () => {
    const srv = await server(() => undefined);
    const url = srv.url;
    await srv.close();
    await expect(httpFetch(`${url}/x`)).rejects.toMatchObject({
      name: 'TypeError',
      message: 'fetch failed',
      cause: expect.objectContaining({ code: 'ECONNREFUSED' }) as unknown,
    });
  });

  it('leaves a successful answer unread until a reader takes it: the node stream, or the web body', async () => {
    const srv = await server((req, res) => {
      res.writeHead(req.url === '/missing' ? 404 : 200, { 'content-type': 'text/plain' });
      res.end('all of it');
    });
    try {
      const direct = await httpFetch(`${srv.url}/a`);
      // Nothing was read meanwhile: the node stream has every byte.
      await new Promise((resolve) => setTimeout(resolve, 50));
      const node = nodeBodyOf(direct);
      expect(node).not.toBeNull();
      let text = '';
      for await (const chunk of node!) text += String(chunk);
      expect(text).toBe('all of it');

      const web = await httpFetch(`${srv.url}/b`);
      expect(await web.text()).toBe('all of it');
      // Taken by the web body: no longer offered as a node stream.
      expect(nodeBodyOf(web)).toBeNull();
      // An error's body is for the SDK to read at once.
      const missing = await httpFetch(`${srv.url}/missing`);
      expect(nodeBodyOf(missing)).toBeNull();
      expect(await missing.text()).toBe('all of it');
    } finally {
      await srv.close();
    }
  });
});
