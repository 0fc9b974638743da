import http from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';

const agents = {
  'http:': new http.Agent({ keepAlive: true, scheduling: 'lifo' }),
  'https:': new https.Agent({ keepAlive: true, scheduling: 'lifo' }),
};

/** Statuses whose responses have no body (a Response refuses one). */
const NO_BODY = new Set([101, 204, 205, 304]);

/** The socket's stream behind each successful response's body, until that body is read. */
const nodeBodies = new WeakMap<Response, http.IncomingMessage>();

/**
 * The node stream of a response `httpFetch` made, for a reader that parses it itself (no web
 * stream per chunk in between); null when it has none or its web body was read already.
 */
export function nodeBodyOf(response: Response): Readable | null {
  return nodeBodies.get(response) ?? null;
}

/**
 * A web stream over `body` that attaches to it only when first read, so that the node stream
 * stays free for `nodeBodyOf` until then (Readable.toWeb starts reading at once).
 */
function lazyWebBody(body: http.IncomingMessage, detach: () => void): ReadableStream<Uint8Array> {
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (!reader) {
          detach();
          reader = (Readable.toWeb(body) as ReadableStream<Uint8Array>).getReader();
        }
        const { value, done } = await reader.read();
        if (done) controller.close();
        else controller.enqueue(value);
      },
      cancel(reason) {
        if (reader) return reader.cancel(reason);
        body.destroy();
      },
    },
    { highWaterMark: 0 },
  );
}

function abortError(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
}

/**
 * `fetch` for the model SDK on node:http with keep-alive agents, the way Node's own clients talk:
 * per streamed chunk it costs a fraction of the built-in fetch (no WebAssembly parser, no fetch
 * algorithm per read), which matters at thousands of tokens a second. The response is a standard
 * Response whose body streams the socket. The signal aborts the request or the body mid-stream.
 * A request that fails before any answer on a reused keep-alive connection (the server closed it
 * as the request went out) is sent once more on a new one, as Node's documentation advises.
 */
export function httpFetch(input: string | URL | Request, init: RequestInit = {}): Promise<Response> {
  const url = new URL(input instanceof Request ? input.url : input);
  const agent = agents[url.protocol as keyof typeof agents];
  if (!agent) return Promise.reject(new TypeError(`unsupported protocol ${url.protocol}`));
  const method = (init.method ?? 'GET').toUpperCase();
  const headers: Record<string, string> = {};
  new Headers(init.headers).forEach((value, name) => (headers[name] = value));
  let body: Buffer | undefined;
  if (typeof init.body === 'string') body = Buffer.from(init.body);
  else if (init.body instanceof Uint8Array) body = Buffer.from(init.body);
  else if (init.body != null)
    return Promise.reject(new TypeError('only string and byte bodies are supported'));
  if (body) headers['content-length'] = String(body.length);
  const { signal } = init;

  const attempt = (retried: boolean): Promise<Response> =>
    new Promise<Response>((resolve, reject) => {
      if (signal?.aborted) return reject(abortError(signal));
      const request = (url.protocol === 'https:' ? https : http).request(url, { method, headers, agent });
      let answer: http.IncomingMessage | undefined;
      // The body too, so that its stream fails with the abort error rather than a reset.
      const onAbort = () => (answer ?? request).destroy(abortError(signal!) as Error);
      const done = () => signal?.removeEventListener('abort', onAbort);
      signal?.addEventListener('abort', onAbort, { once: true });
      request.on('error', (error: NodeJS.ErrnoException) => {
        done();
        if (signal?.aborted) reject(abortError(signal));
        else if (!answer && !retried && request.reusedSocket && error.code === 'ECONNRESET')
          resolve(attempt(true));
        else reject(new TypeError('fetch failed', { cause: error }));
      });
      request.on('response', (response) => {
        answer = response;
        response.on('close', done);
        const status = response.statusCode ?? 0;
        const responseHeaders = new Headers();
        for (let i = 0; i < response.rawHeaders.length; i += 2) {
          responseHeaders.append(response.rawHeaders[i], response.rawHeaders[i + 1]);
        }
        const empty = NO_BODY.has(status) || method === 'HEAD';
        if (empty) response.resume();
        // An error's body is read by the SDK at once; a success's waits for its reader.
        const ok = status >= 200 && status < 300 && !empty;
        const answered = new Response(
          empty
            ? null
            : ok
              ? lazyWebBody(response, () => nodeBodies.delete(answered))
              : (Readable.toWeb(response) as ReadableStream<Uint8Array>),
          { status, statusText: response.statusMessage, headers: responseHeaders },
        );
        if (ok) nodeBodies.set(answered, response);
        resolve(answered);
      });
      request.end(body);
    });
  return attempt(false);
}
