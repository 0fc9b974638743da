import { getEventListeners } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ModelCall, ModelError } from '../../src/modules/runs/providers/model-provider';
import { OpenAiProvider } from '../../src/modules/runs/providers/openai.provider';
import { toRunConfig } from '../../src/modules/runs/run-config';
import { eventually } from '../factories/change.factory';

type Behaviour = 'answer' | 'stall' | 'slow' | 'fail' | 'error' | 'garbage' | 'cut' | 'crlf';

/**
 * A local OpenAI-compatible upstream: `answer` streams three tokens, `stall` sends one and then
 * nothing, `slow` sends five 150 ms apart, `fail` answers 500; after one token, `error` sends an
 * error object, `garbage` a chunk that is not JSON, `cut` closes the connection; `crlf` streams the
 * answer with CRLF line ends and comments, written a few bytes at a time. Counts requests, and
 * records when one's connection closes before its end.
 */
async function upstream() {
  let behaviour: Behaviour = 'answer';
  const cutOff: string[] = [];
  let requests = 0;
  const server = http.createServer((req, res) => {
    requests++;
    req.resume();
    req.on('end', () => {
      if (behaviour === 'fail') {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: 'upstream exploded' } }));
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.on('close', () => {
        if (!res.writableEnded) cutOff.push(behaviour);
      });
      const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
        res.write(
          `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 0, model: 'm', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`,
        );
      if (behaviour === 'crlf') {
        const text = ['one ', 'two ', 'three']
          .map(
            (content) =>
              `: keep-alive\r\ndata: ${JSON.stringify({ choices: [{ index: 0, delta: { content } }] })}\r\n\r\n`,
          )
          .join('')
          .concat('data: [DONE]\r\n\r\n');
        let at = 0;
        const next = setInterval(() => {
          res.write(text.slice(at, (at += 7)));
          if (at >= text.length) {
            clearInterval(next);
            res.end();
          }
        }, 1);
        return;
      }
      chunk({ role: 'assistant', content: 'one ' });
      if (behaviour === 'stall') return;
      if (behaviour === 'error') return void res.end('data: {"error":{"message":"overloaded"}}\n\n');
      if (behaviour === 'garbage') return void res.write('data: {"choices": [\n\n');
      if (behaviour === 'cut') return void setTimeout(() => res.socket?.destroy(), 20);
      if (behaviour === 'slow') {
        let sent = 1;
        const next = setInterval(() => {
          if (sent++ < 5) return void chunk({ content: `${sent} ` });
          clearInterval(next);
          chunk({}, 'stop');
          res.end('data: [DONE]\n\n');
        }, 150);
        return;
      }
      chunk({ content: 'two ' });
      chunk({ content: 'three' });
      chunk({}, 'stop');
      res.end('data: [DONE]\n\n');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    server,
    cutOff,
    requests: () => requests,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    set: (next: Behaviour) => (behaviour = next),
  };
}

describe('OpenAiProvider against a local OpenAI-compatible server', () => {
  let model: Awaited<ReturnType<typeof upstream>>;
  const provider = new OpenAiProvider();

  beforeAll(async () => {
    model = await upstream();
  });
  afterAll(async () => {
    model.server.closeAllConnections();
    await new Promise((resolve) => model.server.close(resolve));
  });

  const call = (signal: AbortSignal, deltas: string[] = [], timeoutMs?: number): ModelCall => ({
    model: { provider: 'openai', model: 'm', base_url: model.url, timeout_ms: timeoutMs },
    run: toRunConfig({ system_prompt: 'Be brief.' }),
    messages: [{ role: 'user', content: 'hello' }],
    tools: [],
    signal,
    onDelta: (text) => deltas.push(text),
  });

  it('streams the answer and leaves no listener on the run signal', async () => {
    model.set('answer');
    const run = new AbortController();
    const deltas: string[] = [];
    const turn = await provider.complete(call(run.signal, deltas));
    expect(turn.content).toBe('one two three');
    expect(deltas).toEqual(['one ', 'two ', 'three']);
    expect(turn.finishReason).toBe('stop');
    // A listener left behind would keep every call's request state alive as long as the run.
    expect(getEventListeners(run.signal, 'abort')).toHaveLength(0);
  });

  it('an upstream error is a ModelError with its reason, and no listener is left', async () => {
    model.set('fail');
    const run = new AbortController();
    await expect(provider.complete(call(run.signal))).rejects.toThrow(ModelError);
    await expect(provider.complete(call(run.signal))).rejects.toThrow(/500/);
    expect(getEventListeners(run.signal, 'abort')).toHaveLength(0);
  });

  it('a stream that goes quiet fails after timeout_ms and the upstream connection is closed', async () => {
    model.set('stall');
    const run = new AbortController();
    const deltas: string[] = [];
    await expect(provider.complete(call(run.signal, deltas, 300))).rejects.toThrow(
      new ModelError('model request timed out after 300 ms without data'),
    );
    expect(deltas).toEqual(['one ']);
    expect(getEventListeners(run.signal, 'abort')).toHaveLength(0);
    await eventually(() => model.cutOff.includes('stall'), 'the upstream connection to close');
  });

  it('timeout_ms bounds the silence between chunks, not the whole answer', async () => {
    model.set('slow');
    const deltas: string[] = [];
    // Five chunks 150 ms apart: about 750 ms in all, never 300 ms without data.
    const turn = await provider.complete(call(new AbortController().signal, deltas, 300));
    expect(turn.content).toBe('one 2 3 4 5 ');
    expect(deltas).toHaveLength(5);
  });

  it('cancelling the run aborts the call with the run signal reason', async () => {
    model.set('stall');
    const run = new AbortController();
    const deltas: string[] = [];
    const pending = provider.complete(call(run.signal, deltas));
    await eventually(() => deltas.length === 1, 'the first delta');
    const reason = new Error('cancelled by the operator');
    run.abort(reason);
    await expect(pending).rejects.toBe(reason);
    expect(getEventListeners(run.signal, 'abort')).toHaveLength(0);
  });

  it('a run already cancelled never reaches the upstream', async () => {
    model.set('answer');
    const run = new AbortController();
    const reason = new Error('cancelled before the call');
    run.abort(reason);
    const before = model.requests();
    await expect(provider.complete(call(run.signal))).rejects.toBe(reason);
    expect(model.requests()).toBe(before);
  });

  it('reads a stream with CRLF line ends and comments, cut anywhere', async () => {
    model.set('crlf');
    const deltas: string[] = [];
    const turn = await provider.complete(call(new AbortController().signal, deltas));
    expect(turn.content).toBe('one two three');
    expect(deltas).toEqual(['one ', 'two ', 'three']);
  });

  it('an error, a chunk that is not JSON or a cut connection mid-stream fails the call with why', async () => {
    const run = new AbortController();
    model.set('error');
    await expect(provider.complete(call(run.signal))).rejects.toThrow(
      new ModelError('model server answered an error: overloaded'),
    );
    model.set('garbage');
    await expect(provider.complete(call(run.signal))).rejects.toThrow(
      new ModelError('model server sent a chunk that is not JSON: {"choices": ['),
    );
    // Nothing more is read from an answer that failed: its connection is closed.
    await eventually(() => model.cutOff.includes('garbage'), 'the upstream connection to close');
    model.set('cut');
    const deltas: string[] = [];
    await expect(provider.complete(call(run.signal, deltas))).rejects.toThrow(ModelError);
    expect(deltas).toEqual(['one ']);
    expect(getEventListeners(run.signal, 'abort')).toHaveLength(0);
  });
});
