import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One scripted answer of the server to one chat completions request. */
export interface UpstreamReply {
  /** Text chunks streamed in order (`stream: true`), or joined (`stream: false`). */
  chunks?: string[];
  /** Tool calls the model asks for. */
  toolCalls?: Array<{ id?: string; name: string; arguments: string }>;
  /** Pause before each chunk, in ms. */
  chunkDelayMs?: number;
  /** Pause before answering at all, in ms. */
  delayMs?: number;
  /** Answer with this HTTP status and an error body instead. */
  status?: number;
  /** Stop after this many chunks and keep the connection open (until the client closes it). */
  hangAfter?: number;
  usage?: { prompt_tokens: number; completion_tokens: number };
  /** Answer 200 with this text as it is instead of scripted chunks (see RawReply). */
  raw?: RawReply;
}

/**
 * An answer written byte for byte, for what a well-behaved server never sends: malformed chunks,
 * keep-alive comments, another content type, an endless stream.
 */
export interface RawReply {
  /** `text/event-stream` unless set. */
  contentType?: string;
  /** Written in order, each as one write; the answer ends after the last. */
  pieces: string[];
  /** Pause before each piece, in ms. */
  pieceDelayMs?: number;
  /** The pieces written this many times over (1 unless set), each write waiting for the socket to drain. */
  times?: number;
}

export interface UpstreamRequest {
  body: {
    model: string;
    stream?: boolean;
    messages: Array<{ role: string; content: string | null; tool_calls?: unknown[]; tool_call_id?: string }>;
    tools?: Array<{ function: { name: string } }>;
    [key: string]: unknown;
  };
  headers: http.IncomingHttpHeaders;
  /** Resolves true when the client closed the connection before the answer ended. */
  clientClosed: Promise<boolean>;
  closedEarly: boolean;
}

export type Responder = (request: UpstreamRequest, index: number) => UpstreamReply;

/**
 * A real OpenAI-compatible HTTP server on a free local port: `POST /v1/chat/completions` with
 * streamed SSE chunks or one JSON answer, scripted per test (text, tool calls, delays, errors,
 * hangs, or raw text for malformed answers). It records every request and whether the client
 * closed the connection early.
 */
export class OpenAiCompatibleServer {
  readonly requests: UpstreamRequest[] = [];
  private server?: http.Server;
  private readonly sockets = new Set<import('node:net').Socket>();

  constructor(private responder: Responder) {}

  get baseUrl(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}/v1`;
  }

  respondWith(responder: Responder): void {
    this.responder = responder;
  }

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const raw = await new Promise<string>((resolve) => {
      let data = '';
      req.on('data', (chunk: Buffer) => (data += chunk.toString('utf8')));
      req.on('end', () => resolve(data));
    });
    if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
      res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"error":{"message":"not found"}}');
      return;
    }
    let finished = false;
    let resolveClosed: (closed: boolean) => void = () => undefined;
    const request: UpstreamRequest = {
      body: JSON.parse(raw) as UpstreamRequest['body'],
      headers: req.headers,
      clientClosed: new Promise<boolean>((resolve) => (resolveClosed = resolve)),
      closedEarly: false,
    };
    res.on('close', () => {
      request.closedEarly = !finished;
      resolveClosed(!finished);
    });
    this.requests.push(request);
    const reply = this.responder(request, this.requests.length - 1);
    const id = `chatcmpl-${this.requests.length}`;
    const model = request.body.model;
    if (reply.delayMs) await sleep(reply.delayMs);
    if (reply.status && reply.status >= 400) {
      finished = true;
      res
        .writeHead(reply.status, { 'Content-Type': 'application/json' })
        .end(
          JSON.stringify({ error: { message: `scripted failure ${reply.status}`, type: 'server_error' } }),
        );
      return;
    }
    if (reply.raw) {
      await writeRaw(res, reply.raw);
      if (res.destroyed) return;
      finished = true;
      res.end();
      return;
    }
    const chunks = reply.chunks ?? [];
    const usage = reply.usage ?? { prompt_tokens: 10, completion_tokens: chunks.length };
    const toolCalls = (reply.toolCalls ?? []).map((call, index) => ({
      index,
      id: call.id ?? `call_${this.requests.length}_${index}`,
      type: 'function',
      function: { name: call.name, arguments: call.arguments },
    }));
    const finishReason = toolCalls.length ? 'tool_calls' : 'stop';
    if (!request.body.stream) {
      finished = true;
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(
        JSON.stringify({
          id,
          object: 'chat.completion',
          created: Math.floor(Date.now() / 1000),
          model,
          choices: [
            {
              index: 0,
              message: {
                role: 'assistant',
                content: chunks.join(''),
                ...(toolCalls.length ? { tool_calls: toolCalls.map(({ index: _i, ...call }) => call) } : {}),
              },
              finish_reason: finishReason,
            },
          ],
          usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
        }),
      );
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
    const send = (payload: unknown) => res.write(`data: ${JSON.stringify(payload)}\n\n`);
    const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
      send({
        id,
        object: 'chat.completion.chunk',
        created: Math.floor(Date.now() / 1000),
        model,
        choices: [{ index: 0, delta, finish_reason: finish }],
      });
    chunk({ role: 'assistant', content: '' });
    for (let i = 0; i < chunks.length; i++) {
      if (reply.hangAfter !== undefined && i >= reply.hangAfter) return; // the client must close it
      if (reply.chunkDelayMs) await sleep(reply.chunkDelayMs);
      if (res.destroyed) return;
      chunk({ content: chunks[i] });
    }
    if (reply.hangAfter !== undefined && chunks.length <= reply.hangAfter) return;
    if (toolCalls.length) chunk({ tool_calls: toolCalls });
    chunk({}, finishReason);
    send({
      id,
      object: 'chat.completion.chunk',
      created: 0,
      model,
      choices: [],
      usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
    });
    res.write('data: [DONE]\n\n');
    finished = true;
    res.end();
  }
}

async function writeRaw(res: http.ServerResponse, raw: RawReply): Promise<void> {
  res.writeHead(200, { 'Content-Type': raw.contentType ?? 'text/event-stream', 'Cache-Control': 'no-cache' });
  for (let round = 0; round < (raw.times ?? 1); round++) {
    for (const piece of raw.pieces) {
      if (raw.pieceDelayMs) await sleep(raw.pieceDelayMs);
      if (res.destroyed) return;
      // Waiting for the drain keeps an endless answer from piling up in memory, and makes an
      // early close by the client show as one.
      if (!res.write(piece)) await drained(res);
    }
  }
}

/** Resolves when `res` can take more, or closed. */
function drained(res: http.ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Splits text into word-sized chunks, as a model streams it. */
export function tokensOf(text: string): string[] {
  return text.match(/\s*\S+\s*/g) ?? [];
}
