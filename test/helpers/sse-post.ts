import { SseClient } from './sse-client';
import http from 'node:http';

/**
 * Opens an SSE stream answered to a POST (as `POST /chat` with `stream: true` is), reusing
 * SseClient's parsing by feeding it the response.
 */
export function postSse(url: string, headers: Record<string, string>, body: unknown): Promise<SseClient> {
  const client = new SseClient();
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: 'POST',
        headers: {
          Accept: 'text/event-stream',
          'Content-Type': 'application/json',
          'Content-Length': Buffer.byteLength(payload),
          ...headers,
        },
      },
      (res) => {
        const internals = client as unknown as {
          request: http.ClientRequest;
          response: http.IncomingMessage;
          feed(chunk: string): void;
          finished: boolean;
          wake(): void;
        };
        client.status = res.statusCode ?? 0;
        client.headers = res.headers;
        internals.request = req;
        internals.response = res;
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => internals.feed(chunk));
        res.on('end', () => {
          internals.finished = true;
          internals.wake();
        });
        resolve(client);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}
